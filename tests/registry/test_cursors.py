"""A cursor the API did not issue, on every paged list: 422 naming `cursor`, never a 500."""

from __future__ import annotations

import httpx
import pytest

from shared.auth import Role
from shared.http import encode_cursor
from tests.support import make_uscc, token

ADMIN = token(Role.ADMIN)
FIRM = {"name": "湖州游标测试有限公司", "district_code": "330502", "industry_code": "C3981", "established_on": "2019-05-20",
        "main_products": "检测设备"}

LISTS = ["/v1/enterprises", "/v1/enterprises/{id}/audit", "/v1/enterprises/{id}/evaluations",
         "/v1/enterprises/{id}/certifications", "/v1/enterprises/{id}/figures", "/v1/enterprises/{id}/ip-holdings",
         "/v1/enterprises/{id}/honours", "/v1/enterprises/{id}/pool-changes", "/v1/enterprises/{id}/visits",
         "/v1/platforms?sort=-created_at", "/v1/pools/screenings"]
# Garbage, a well-formed cursor of the wrong shape, and right shapes with values that do not parse.
CURSORS = ["%%%", encode_cursor(["a", "b", "c"]), encode_cursor(["2026-01-01T00:00:00+00:00", "not-a-uuid"]),
           encode_cursor(["not-a-date", "0b5d3f0e-8d0c-4a57-9a39-1f0f3c4b2a11"]), encode_cursor(["seven"]),
           encode_cursor([True])]


@pytest.mark.parametrize("registry_client", ["postgres"], indirect=True)
async def test_a_cursor_the_api_did_not_issue_is_a_clear_422(registry_client: httpx.AsyncClient) -> None:
    created = await registry_client.post("/v1/enterprises", json={"uscc": make_uscc(1), **FIRM}, headers=ADMIN)
    assert created.status_code == 201, created.text
    for path in LISTS:
        url = path.format(id=created.json()["id"])
        assert (await registry_client.get(url, headers=ADMIN)).status_code == 200, url
        for cursor in CURSORS:
            separator = "&" if "?" in url else "?"
            response = await registry_client.get(f"{url}{separator}cursor={cursor}", headers=ADMIN)
            assert response.status_code == 422, (url, cursor, response.text)
            assert response.json()["errors"][0]["field"] == "cursor"
