"""Builders for the innovation-resource, booking and voucher API tests: the callers, a valid resource, firms in
funding's enterprise read model (as the registry's events would have left them), and time slots."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import insert

from services.funding.models import EnterpriseProfile
from shared.auth import Role
from shared.db import create_engine, utcnow
from tests.support import make_uscc, token

ZONE = ZoneInfo("Asia/Shanghai")
ADMIN = token(Role.ADMIN)
SERVICE = token(Role.SERVICE)
OFFICER = token(Role.OFFICER, districts=["330502"])
OTHER_OFFICER = token(Role.OFFICER, districts=["330521"])
INSTITUTE_ID, OTHER_INSTITUTE_ID = "zju-huzhou", "hznu"
INSTITUTE = token(Role.INSTITUTE, institute_id=INSTITUTE_ID)
OTHER_INSTITUTE = token(Role.INSTITUTE, institute_id=OTHER_INSTITUTE_ID)
FIRM_USCC, OTHER_USCC = make_uscc(5101), make_uscc(5102, "330503")
FIRM = token(Role.ENTERPRISE, uscc=FIRM_USCC)
OTHER_FIRM = token(Role.ENTERPRISE, uscc=OTHER_USCC)

# A working week far enough ahead that nothing here is in the past: Monday of the week after next.
_today = datetime.now(ZONE).date()
MONDAY = _today + timedelta(days=14 - _today.weekday())


def at(day: date, hour: int, minute: int = 0) -> str:
    """An instant in Huzhou's civil time, as a client sends it."""
    return datetime.combine(day, time(hour, minute), ZONE).isoformat()


def resource_body(**overrides: Any) -> dict[str, Any]:
    """A scanning electron microscope of 浙江大学湖州研究院, open 08:30–12:00 and 13:30–17:30 on weekdays for four
    weeks, 600 元 per machine hour."""
    body: dict[str, Any] = {
        "kind": "instrument",
        "name": "场发射扫描电子显微镜",
        "description": "材料表面形貌与微区成分分析（SEM + EDS）",
        "provider": {"name": "浙江大学湖州研究院", "provider_class": "provincial_carrier", "institute_id": INSTITUTE_ID},
        "district_code": "330502",
        "location": "湖州市吴兴区西塞山路819号",
        "unit": "hour",
        "unit_price_fen": 60_000,
        "availability": {"weekly": {"hours": [{"weekday": d, "opens": "08:30", "closes": "12:00"} for d in range(5)]
                                    + [{"weekday": d, "opens": "13:30", "closes": "17:30"} for d in range(5)],
                                    "first_day": MONDAY.isoformat(),
                                    "last_day": (MONDAY + timedelta(days=27)).isoformat()}},
        "terms": "需提前一个工作日预约；样品需干燥、导电。",
    }
    return {**body, **overrides}


async def create_resource(client: httpx.AsyncClient, headers: dict[str, str] = INSTITUTE,
                          **overrides: Any) -> dict[str, Any]:
    response = await client.post("/v1/resources", json=resource_body(**overrides), headers=headers)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def book(client: httpx.AsyncClient, resource: dict[str, Any], start: str, end: str,
               headers: dict[str, str] = FIRM, **extra: Any) -> httpx.Response:
    return await client.post(f"/v1/resources/{resource['id']}/bookings",
                             json={"starts_at": start, "ends_at": end, **extra}, headers=headers)


async def add_firms(database_url: str, usccs: list[str], *, district: str = "330502",
                    sector: str = "advanced_manufacturing", size_class: str = "small") -> dict[str, uuid.UUID]:
    """Firms in funding's enterprise read model, as the registry's events would have put them there."""
    ids = {uscc: uuid.uuid4() for uscc in usccs}
    engine = create_engine(database_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(insert(EnterpriseProfile.__table__), [
                {"enterprise_id": ids[uscc], "uscc": uscc, "name": f"湖州测试企业{i}有限公司", "district_code": district,
                 "sector": sector, "size_class": size_class, "product_tags": [], "capability_tags": [],
                 "held_tiers": [], "registry_version": 1, "source_event_time": utcnow()}
                for i, uscc in enumerate(usccs)])
    finally:
        await engine.dispose()
    return ids


# --- voucher rounds ---------------------------------------------------------------------------------------------

TERMS: dict[str, Any] = {
    # 玉环-style (REFERENCE §12.2): 2万 a voucher, 10万 a firm a year; a fee below 1万 paid in full, 50 % above.
    "face_value_fen": 2_000_000,
    "per_enterprise_annual_cap_fen": 10_000_000,
    "validity_days": 365,
    "allowed_kinds": ["instrument", "testing_service", "compute"],
    "coverage": [{"share": "0.50", "full_below_fen": 1_000_000, "source": "玉环 §12.2 style"}],
}


async def voucher_round(client: httpx.AsyncClient, *, budget_fen: int = 10**8, **terms: Any) -> dict[str, Any]:
    """An open round of an innovation-voucher programme with its terms set; the round as read."""
    from tests.funding.support import CITY_OFFICER, open_round

    round_ = await open_round(client, budget_fen=budget_fen, instrument="innovation_voucher")
    response = await client.put(f"/v1/rounds/{round_['id']}/voucher-terms", json={**TERMS, **terms},
                                headers=CITY_OFFICER)
    assert response.status_code == 201, response.text
    return round_


async def issue(client: httpx.AsyncClient, round_id: str, uscc: str, *, key: str | None = None,
                headers: dict[str, str] | None = None, **extra: Any) -> httpx.Response:
    from tests.funding.support import CITY_OFFICER

    return await client.post("/v1/vouchers", json={"round_id": round_id, "enterprise_uscc": uscc, **extra},
                             headers={**(headers or CITY_OFFICER), "Idempotency-Key": key or str(uuid.uuid4())})


async def redeem(client: httpx.AsyncClient, booking_id: str, voucher_id: str, *, key: str | None = None,
                 headers: dict[str, str] = INSTITUTE, **extra: Any) -> httpx.Response:
    body = {"voucher_id": voucher_id, "evidence": f"检测报告 HZJC-{booking_id[:8]}", **extra}
    return await client.post(f"/v1/bookings/{booking_id}/redemptions", json=body,
                             headers={**headers, "Idempotency-Key": key or str(uuid.uuid4())})


async def deliver(client: httpx.AsyncClient, booking_id: str) -> None:
    response = await client.post(f"/v1/bookings/{booking_id}/transitions", json={"action": "deliver"},
                                 headers=INSTITUTE)
    assert response.status_code == 200, response.text
