"""Demo data of the innovation-resource pool for `make run`, loaded through the funding API as clients would:

* a city voucher programme (创新券, 玉环-style terms: 2万 a voucher, 10万 a firm a year, a fee below 1万 paid in full and
  half above it) with its 2026 round, through /v1/fund-pools, /v1/programmes and /v1/programmes/{id}/rounds;
* resources from Huzhou-area providers: instruments of 浙江大学湖州研究院 and 湖州师范学院, testing at 湖州市检验检测中心,
  GPU hours at 南太湖智算中心, a public-data product of 湖州市公共数据授权运营平台;
* vouchers issued to the first demo firms the registry registered (their profiles reach funding by the registry's
  events, so the loader waits for them), bookings of today's early hours (delivered, then paid with the firms'
  vouchers) and of coming days (booked, one cancelled).

Safe to run again: what exists (the programme by name, a resource by provider and name, a firm's voucher) is kept,
and bookings are made only on a first run.

    .venv/bin/python -m services.funding.demo [--base-url http://127.0.0.1:8004] [--registry-url http://127.0.0.1:8001]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

import httpx

from shared.auth import CITY_WIDE, Role, issue_token
from shared.clock import PROGRAMME_ZONE, programme_today
from shared.settings import LOCAL_JWT_SECRET

WAN = 1_000_000  # fen per 万元
PROGRAMME_NAME = "湖州市科技创新券（演示）"
ROUND_NAME = "2026年创新券第一批"
TERMS: dict[str, Any] = {
    "face_value_fen": 2 * WAN, "per_enterprise_annual_cap_fen": 10 * WAN, "validity_days": 365,
    "allowed_kinds": ["instrument", "facility", "testing_service", "compute", "data_set"],
    "coverage": [{"share": "0.50", "full_below_fen": 1 * WAN,
                  "source": "玉环 (REFERENCE §12.2): a purchase below 1万 paid in full; 50 % above stands in [U]"}],
}


def _token(role: Role, subject: str = "demo-loader", **claims: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(secret=LOCAL_JWT_SECRET, role=role, subject=subject, **claims)}"}


ADMIN = _token(Role.ADMIN)
CITY_OFFICER = _token(Role.OFFICER, districts=[CITY_WIDE])


def _always(days: int = 120) -> dict[str, Any]:
    """Open around the clock from four weeks back to ``days`` ahead (compute, data, testing by sample)."""
    first = datetime.combine(programme_today() - timedelta(days=28), time(0), PROGRAMME_ZONE)
    return {"windows": [{"start": first.isoformat(), "end": (first + timedelta(days=days)).isoformat()}]}


def _weekdays(days: int = 120) -> dict[str, Any]:
    first = programme_today() - timedelta(days=28)
    hours = [{"weekday": d, "opens": "08:30", "closes": "12:00"} for d in range(5)]
    hours += [{"weekday": d, "opens": "13:30", "closes": "17:30"} for d in range(5)]
    return {"weekly": {"hours": hours, "first_day": first.isoformat(),
                       "last_day": (first + timedelta(days=days)).isoformat()}}


def _provider(name: str, provider_class: str, institute_id: str | None = None) -> dict[str, Any]:
    return {"name": name, "provider_class": provider_class, **({"institute_id": institute_id} if institute_id else {})}


# (institute account managing it, the listing)
RESOURCES: tuple[tuple[str | None, dict[str, Any]], ...] = (
    ("zju-huzhou", {
        "kind": "instrument", "name": "场发射扫描电子显微镜（SEM+EDS）",
        "description": "材料表面形貌观察与微区成分分析，分辨率 1 nm；适用于新材料、电子元器件失效分析。",
        "provider": _provider("浙江大学湖州研究院", "provincial_carrier", "zju-huzhou"), "district_code": "330502",
        "location": "湖州市吴兴区西塞山路819号 浙江大学湖州研究院 B 楼", "unit": "hour", "unit_price_fen": 60_000,
        "availability": _weekdays(), "terms": "提前一个工作日预约；样品需干燥、导电，非导电样品需喷金（另计）。"}),
    ("zju-huzhou", {
        "kind": "instrument", "name": "X 射线衍射仪（XRD）",
        "description": "物相定性定量分析、晶粒尺寸与残余应力测试。",
        "provider": _provider("浙江大学湖州研究院", "provincial_carrier", "zju-huzhou"), "district_code": "330502",
        "location": "湖州市吴兴区西塞山路819号 浙江大学湖州研究院 B 楼", "unit": "hour", "unit_price_fen": 40_000,
        "availability": _weekdays(), "terms": "粉末样品不少于 0.5 g。"}),
    ("hznu", {
        "kind": "instrument", "name": "液相色谱-质谱联用仪（LC-MS）",
        "description": "药物中间体、天然产物与化妆品原料的定性定量分析。",
        "provider": _provider("湖州师范学院", "provincial_carrier", "hznu"), "district_code": "330502",
        "location": "湖州市吴兴区学士路1号 湖州师范学院 分析测试中心", "unit": "hour", "unit_price_fen": 50_000,
        "availability": _weekdays(), "terms": "需提供样品前处理说明；有毒样品须事先告知。"}),
    ("hz-testing", {
        "kind": "testing_service", "name": "纺织品色牢度检测",
        "description": "耐洗、耐摩擦、耐光色牢度，按 GB/T 3920、GB/T 3921 等标准。",
        "provider": _provider("湖州市检验检测中心", "testing_body", "hz-testing"), "district_code": "330502",
        "location": "湖州市吴兴区红丰路1366号", "unit": "item", "unit_price_fen": 15_000,
        "availability": _always(), "terms": "每项每样品计费；出具 CMA 报告。"}),
    ("hz-testing", {
        "kind": "testing_service", "name": "家用电器安全性能检测",
        "description": "电气强度、泄漏电流、接地电阻等安全项目（GB 4706 系列）。",
        "provider": _provider("湖州市检验检测中心", "testing_body", "hz-testing"), "district_code": "330502",
        "location": "湖州市吴兴区红丰路1366号", "unit": "item", "unit_price_fen": 80_000,
        "availability": _always(), "terms": "送样检测，五个工作日出具报告。"}),
    ("nth-compute", {
        "kind": "compute", "name": "GPU 算力（A800 80G 单卡）",
        "description": "模型训练与推理算力，按卡时计费；提供容器化环境。",
        "provider": _provider("南太湖智算中心", "compute_centre", "nth-compute"), "district_code": "330502",
        "location": "湖州市吴兴区南太湖新区 湖州市南太湖智算中心", "unit": "hour", "unit_price_fen": 1_200,
        "availability": _always(), "terms": "数据不出中心；按自然小时计费。"}),
    (None, {
        "kind": "data_set", "name": "湖州市规上工业企业用能数据产品",
        "description": "分行业、分区县的月度用电用能指标（脱敏聚合），经授权运营“可用不可见”提供。",
        "provider": _provider("湖州市公共数据授权运营平台", "data_operator"), "district_code": "330502",
        "location": "线上交付", "unit": "booking", "unit_price_fen": 500_000,
        "availability": _always(), "terms": "仅限研发用途；不得转售；按次授权，期限内有效。"}),
)


@dataclass
class Tally:
    done: Counter[str] = field(default_factory=Counter)
    refused: list[str] = field(default_factory=list)


async def _call(client: httpx.AsyncClient, tally: Tally, step: str, method: str, url: str,
                **kwargs: Any) -> dict[str, Any] | None:
    response = await client.request(method, url, **kwargs)
    if response.status_code >= 400:
        tally.refused.append(f"{step}: {response.status_code} {response.text[:200]}")
        return None
    tally.done[step] += 1
    return response.json()  # type: ignore[no-any-return]


async def _all(client: httpx.AsyncClient, url: str, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        response = await client.get(url, params={"limit": 200, **params, **({"cursor": cursor} if cursor else {})},
                                    headers=ADMIN)
        response.raise_for_status()
        page = response.json()
        items += page["items"]
        cursor = page.get("next_cursor")
        if not cursor:
            return items


async def voucher_round(client: httpx.AsyncClient, tally: Tally) -> dict[str, Any] | None:
    """The demo voucher programme's round, set up on the first run."""
    programmes = [p for p in await _all(client, "/v1/programmes", instrument="innovation_voucher")
                  if p["name"] == PROGRAMME_NAME]
    today = programme_today()
    if programmes:
        rounds = await _all(client, "/v1/rounds", programme_id=programmes[0]["id"])
        return rounds[0] if rounds else None
    pool = await _call(client, tally, "fund pool", "POST", "/v1/fund-pools", headers=CITY_OFFICER, json={
        "name": "2026年湖州市创新要素供给池（演示）", "issuer": "湖州市", "issuer_level": "city", "budget_fen": 2_000 * WAN,
        "opens_on": date(today.year, 1, 1).isoformat(), "closes_on": date(today.year + 1, 12, 31).isoformat()})
    if pool is None:
        return None
    programme = await _call(client, tally, "voucher programme", "POST", "/v1/programmes", headers=CITY_OFFICER, json={
        "pool_id": pool["id"], "name": PROGRAMME_NAME, "instrument": "innovation_voucher", "mode": "application",
        "budget_fen": 1_000 * WAN, "per_enterprise_cap_fen": 10 * WAN, "opens_on": pool["opens_on"],
        "closes_on": pool["closes_on"], "source": "REFERENCE §12 (玉环 terms as a stand-in for Huzhou's [U])"})
    if programme is None:
        return None
    round_ = await _call(client, tally, "voucher round", "POST", f"/v1/programmes/{programme['id']}/rounds",
                         headers=CITY_OFFICER, json={"name": ROUND_NAME, "budget_fen": 500 * WAN,
                                                     "opens_on": pool["opens_on"], "closes_on": pool["closes_on"]})
    if round_ is not None:
        await _call(client, tally, "voucher terms", "PUT", f"/v1/rounds/{round_['id']}/voucher-terms",
                    headers=CITY_OFFICER, json=TERMS)
    return round_


async def resources(client: httpx.AsyncClient, tally: Tally) -> dict[str, dict[str, Any]]:
    """The demo resources by name (listed by their institute, or by a city-wide officer), created once."""
    existing = {(r["provider"]["name"], r["name"]): r for r in await _all(client, "/v1/resources")}
    found = {}
    for institute_id, body in RESOURCES:
        resource = existing.get((body["provider"]["name"], body["name"]))
        if resource is None:
            headers = _token(Role.INSTITUTE, institute_id=institute_id) if institute_id else CITY_OFFICER
            resource = await _call(client, tally, "resource", "POST", "/v1/resources", headers=headers, json=body)
        if resource is not None:
            found[body["name"]] = resource
    return found


async def _issue(client: httpx.AsyncClient, tally: Tally, round_id: str, uscc: str,
                 wait_seconds: float) -> dict[str, Any] | None:
    """A voucher for the firm, waiting for its profile to reach funding from the registry's events."""
    waited = 0.0
    key = f"demo-voucher-{round_id}-{uscc}"  # the same key on every run: a second run replays the first answer
    while True:
        response = await client.post("/v1/vouchers", json={"round_id": round_id, "enterprise_uscc": uscc},
                                     headers={**CITY_OFFICER, "Idempotency-Key": key})
        if response.status_code == 201:
            tally.done["voucher"] += 1
            return response.json()  # type: ignore[no-any-return]
        if response.status_code != 404 or waited >= wait_seconds:
            tally.refused.append(f"voucher for {uscc}: {response.status_code} {response.text[:200]}")
            return None
        await asyncio.sleep(1)
        waited += 1


def _at(day: date, hour: int, minute: int = 0) -> str:
    return datetime.combine(day, time(hour, minute), PROGRAMME_ZONE).isoformat()


async def bookings(client: httpx.AsyncClient, tally: Tally, listed: dict[str, dict[str, Any]],
                   vouchers: dict[str, dict[str, Any]]) -> None:
    """The early hours of the day after tomorrow (beyond the default lead time of 24 hours), delivered and paid with
    the firm's voucher; the coming days' slots, booked (one of them cancelled). Only on a first run: a resource with
    bookings already is left alone."""
    if not listed or await _all(client, "/v1/bookings"):
        return
    today = programme_today()
    soon = today + timedelta(days=2)
    firms = list(vouchers.items())
    plan = (  # (resource, firm index, start, end, quantity, delivered and paid with a voucher)
        ("纺织品色牢度检测", 0, _at(soon, 1), _at(soon, 2), 40, True),
        ("GPU 算力（A800 80G 单卡）", 1, _at(soon, 0), _at(soon, 6), 1, True),
        ("家用电器安全性能检测", 2, _at(soon, 2), _at(soon, 3), 15, True),
        ("湖州市规上工业企业用能数据产品", 3, _at(soon, 3), _at(soon, 4), 1, True),
        ("场发射扫描电子显微镜（SEM+EDS）", 0, *_next_weekday_slot(soon, 1, 9, 11), 1, False),
        ("液相色谱-质谱联用仪（LC-MS）", 4, *_next_weekday_slot(soon, 2, 14, 16), 1, False),
        ("X 射线衍射仪（XRD）", 5, *_next_weekday_slot(soon, 3, 9, 10), 1, False),
        ("GPU 算力（A800 80G 单卡）", 5, _at(today + timedelta(days=2), 20), _at(today + timedelta(days=3), 8), 1, False),
    )
    cancelled_one = False
    for name, index, start, end, quantity, delivered in plan:
        if name not in listed or not firms:
            continue
        uscc, voucher = firms[index % len(firms)]
        resource = listed[name]
        body = {"starts_at": start, "ends_at": end, "quantity": quantity, "voucher_ids": [voucher["id"]],
                "purpose": "演示：研发测试"}
        booking = await _call(client, tally, "booking", "POST", f"/v1/resources/{resource['id']}/bookings",
                              json=body, headers=_token(Role.ENTERPRISE, uscc=uscc))
        if booking is None:
            continue
        owner = resource["provider"]["institute_id"]
        provider = _token(Role.INSTITUTE, institute_id=owner) if owner else ADMIN
        if delivered:
            await _call(client, tally, "delivered", "POST", f"/v1/bookings/{booking['id']}/transitions",
                        json={"action": "deliver"}, headers=provider)
            await _call(client, tally, "redemption", "POST", f"/v1/bookings/{booking['id']}/redemptions",
                        json={"voucher_id": voucher["id"], "evidence": f"服务报告 DEMO-{booking['id'][:8]}"},
                        headers={**provider, "Idempotency-Key": f"demo-redemption-{booking['id']}"})
        elif not delivered and not cancelled_one:
            cancelled_one = True
            await _call(client, tally, "cancelled", "POST", f"/v1/bookings/{booking['id']}/transitions",
                        json={"action": "cancel", "reason": "演示：样品未备齐"}, headers=_token(Role.ENTERPRISE, uscc=uscc))


def _next_weekday_slot(today: date, nth: int, opens: int, closes: int) -> tuple[str, str]:
    """The ``nth`` weekday after today, from ``opens`` to ``closes`` o'clock."""
    day = today
    while nth:
        day += timedelta(days=1)
        nth -= day.weekday() < 5
    return _at(day, opens), _at(day, closes)


async def load(client: httpx.AsyncClient, usccs: list[str], *, wait_seconds: float = 60) -> Tally:
    """The demo through the funding API behind ``client``, with vouchers for ``usccs`` (firms the registry has)."""
    tally = Tally()
    round_ = await voucher_round(client, tally)
    listed = await resources(client, tally)
    vouchers: dict[str, dict[str, Any]] = {}
    if round_ is not None:
        for uscc in usccs:
            voucher = await _issue(client, tally, round_["id"], uscc, wait_seconds)
            if voucher is not None:
                vouchers[uscc] = voucher
            wait_seconds = 0 if voucher is None else wait_seconds  # waited once for the events; not per firm
    await bookings(client, tally, listed, vouchers)
    return tally


async def registry_firms(registry_url: str, count: int) -> list[str]:
    """The first ``count`` firms of the registry (oldest first), by USCC."""
    async with httpx.AsyncClient(base_url=registry_url, headers=ADMIN, timeout=60) as registry:
        response = await registry.get("/v1/enterprises", params={"limit": 200})
        response.raise_for_status()
        items = response.json()["items"]
    return [item["uscc"] for item in reversed(items)][:count]


async def _main(base_url: str, registry_url: str, firms: int) -> int:
    try:
        usccs = await registry_firms(registry_url, firms)
        async with httpx.AsyncClient(base_url=base_url, timeout=120) as client:
            tally = await load(client, usccs)
    except httpx.HTTPError as exc:
        print(f"funding demo: {exc!r}", file=sys.stderr)
        return 1
    print("funding demo data: " + (", ".join(f"{n} {step}" for step, n in sorted(tally.done.items())) or "nothing new"))
    if tally.refused:
        print(f"refused ({len(tally.refused)}): " + " | ".join(tally.refused[:5]))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.funding.demo", description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8004")
    parser.add_argument("--registry-url", default="http://127.0.0.1:8001")
    parser.add_argument("--firms", type=int, default=8, help="how many registry firms get a voucher")
    args = parser.parse_args(argv)
    return asyncio.run(_main(args.base_url, args.registry_url, args.firms))


if __name__ == "__main__":
    sys.exit(main())


