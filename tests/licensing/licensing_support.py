"""Builders for the licensing API tests: the holder's token, a patent body, firms in the enterprise read model."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import insert

from services.licensing.models import EnterpriseProfile
from shared.auth import Role
from shared.db import create_engine
from tests.support import make_uscc, token

TODAY = datetime.now(ZoneInfo("Asia/Shanghai")).date()
HZNU = "inst-hznu"  # 湖州师范学院's institute account
HOLDER = token(Role.INSTITUTE, institute_id=HZNU)
OTHER_INSTITUTE = token(Role.INSTITUTE, institute_id="inst-zju-hz")
ADMIN = token(Role.ADMIN)
FIRM_USCC, OTHER_USCC, THIRD_USCC = make_uscc(5101), make_uscc(5102, "330503"), make_uscc(5103)
FIRM = token(Role.ENTERPRISE, uscc=FIRM_USCC)
OTHER_FIRM = token(Role.ENTERPRISE, uscc=OTHER_USCC)


def patent_body(number: str = "202110182616.5", **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "holder_name": "湖州师范学院",
        "application_number": number,
        "publication_numbers": ["CN113078375A"],
        "title": "一种竹纤维增强聚乳酸复合材料及其制备方法",
        "abstract": "本发明公开了一种竹纤维增强聚乳酸复合材料，以湖州安吉毛竹为原料，经碱处理和偶联剂改性后与聚乳酸共混挤出。",
        "ipc_classes": ["C08L67/04", "C08K7/02"],
        "inventors": ["王建国", "李晓梅"],
        "patentees": [{"name": "湖州师范学院", "consented": True, "consented_on": "2026-01-10"}],
        "legal_status": "granted",
        "filed_on": "2021-02-20",
        "granted_on": "2023-06-13",
    }
    return {**body, **changes}


async def create_patent(client: httpx.AsyncClient, headers: dict[str, str] = HOLDER, **changes: Any) -> dict[str, Any]:
    response = await client.post("/v1/patents", json=patent_body(**changes), headers=headers)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def add_firms(url: str, *usccs: tuple[str, str]) -> None:
    """Firms as the registry's events would have put them in licensing's read model: (uscc, district)."""
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(insert(EnterpriseProfile.__table__), [
                {"enterprise_id": uuid.uuid4(), "uscc": uscc, "name": f"湖州许可测试企业{i}有限公司",
                 "district_code": district, "product_tags": [], "capability_tags": [], "held_tiers": [],
                 "registry_version": 1, "source_event_time": datetime.now(UTC)}
                for i, (uscc, district) in enumerate(usccs)])
    finally:
        await engine.dispose()


def grant_body(kind: str, licensee: str = FIRM_USCC, territory: list[str] | None = None, start_days: int = 0,
               end_days: int | None = 365, **changes: Any) -> dict[str, Any]:
    return {"kind": kind, "licensee_uscc": licensee, "territory": territory or ["CN"],
            "term_start": (TODAY + timedelta(days=start_days)).isoformat(),
            "term_end": None if end_days is None else (TODAY + timedelta(days=end_days)).isoformat(), **changes}


def key() -> dict[str, str]:
    return {"Idempotency-Key": str(uuid.uuid4())}


def field_of(problem: dict[str, Any]) -> str:
    """The field a domain refusal names (problem+json ``errors[0].field``)."""
    return problem["errors"][0]["field"]  # type: ignore[no-any-return]
