"""An officer token must say where the officer works (issue 11, item 1): districts listed, or ``["*"]`` for the
whole city. A token with neither is refused when it is verified; nothing reads an empty list as "everywhere"."""

from __future__ import annotations

from typing import Any

import jwt
import pytest

from shared.auth import CITY_WIDE, Principal, Role, issue_token
from shared.auth import main as token_command
from shared.settings import LOCAL_JWT_SECRET
from tests.shared.auth_support import WHOAMI, bearer, client_of, whoami_app
from tests.support import settings_for


def officer_token(**claims: Any) -> str:
    """Made by hand: issue_token itself refuses to make the tokens refused here."""
    body = {"sub": "officer-x", "role": "officer", "exp": 4_102_444_800, "aud": "seedbed", "iss": "seedbed", **claims}
    return jwt.encode(body, LOCAL_JWT_SECRET, algorithm="HS256")


@pytest.mark.parametrize(("claims", "reason"), [
    ({}, "must list its districts"),
    ({"districts": None}, "must list its districts"),
    ({"districts": []}, "lists no district"),
    ({"districts": "330502"}, "must list its districts"),  # a string, not a list: never its characters
    ({"districts": [""]}, "must list its districts"),
    ({"districts": [CITY_WIDE, "330502"]}, "must stand alone"),
], ids=["absent", "null", "empty", "string", "blank", "star-and-codes"])
async def test_an_officer_token_without_a_district_scope_is_refused(claims: dict[str, Any], reason: str) -> None:
    async with client_of(whoami_app()) as client:
        answer = await client.get(WHOAMI, headers=bearer(officer_token(**claims)))
    assert answer.status_code == 401, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert reason in answer.json()["detail"]


async def test_city_wide_and_district_officers_are_admitted_with_their_scope() -> None:
    async with client_of(whoami_app()) as client:
        city = (await client.get(WHOAMI, headers=bearer(officer_token(districts=[CITY_WIDE])))).json()
        two = (await client.get(WHOAMI, headers=bearer(officer_token(districts=["330502", "330503"])))).json()
        # Another role's districts claim (if any) gives it no district reach, and its absence is no error.
        admin = await client.get(WHOAMI, headers=bearer(issue_token(secret=LOCAL_JWT_SECRET, role=Role.ADMIN)))
    assert (city["districts"], city["city_wide"]) == ([], True)
    assert (two["districts"], two["city_wide"]) == (["330502", "330503"], False)
    assert admin.status_code == 200 and admin.json()["city_wide"] is False


async def test_a_registry_route_refuses_an_officer_token_without_districts() -> None:
    import importlib

    app = importlib.import_module("services.registry.app").create_app(settings_for("registry"))
    async with client_of(app) as client:
        answer = await client.get("/v1/enterprises", headers=bearer(officer_token()))
    assert answer.status_code == 401, answer.text


def test_a_principal_without_districts_reaches_no_district() -> None:
    assert not Principal("o", Role.OFFICER).can_see_district("330502")
    assert Principal("city", Role.OFFICER, city_wide=True).can_see_district("330502")
    assert Principal("wx", Role.OFFICER, districts=("330502",)).can_see_district("330502")
    assert not Principal("wx", Role.OFFICER, districts=("330502",)).can_see_district("330503")


def test_local_tokens_state_the_officer_scope(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(ValueError, match="city_wide=True"):
        issue_token(secret=LOCAL_JWT_SECRET, role=Role.OFFICER)
    with pytest.raises(ValueError, match="not both"):
        issue_token(secret=LOCAL_JWT_SECRET, role=Role.OFFICER, districts=["330502"], city_wide=True)
    with pytest.raises(SystemExit):
        token_command(["--role", "officer"])
    assert "--district CODE (repeatable) or --city" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        token_command(["--role", "admin", "--city"])
    capsys.readouterr()
    assert token_command(["--role", "officer", "--city"]) == 0
    claims = jwt.decode(capsys.readouterr().out.strip(), LOCAL_JWT_SECRET, algorithms=["HS256"], audience="seedbed")
    assert claims["districts"] == [CITY_WIDE]
    assert token_command(["--role", "officer", "--district", "330502", "--district", "330503"]) == 0
    claims = jwt.decode(capsys.readouterr().out.strip(), LOCAL_JWT_SECRET, algorithms=["HS256"], audience="seedbed")
    assert claims["districts"] == ["330502", "330503"]
