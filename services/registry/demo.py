"""Demo data for `make run`: a few hundred plausible Huzhou firms, loaded through the registry's own HTTP API as a
client would, so that their events flow to the other services.

* Firms across the five districts and 南太湖新区, the four sectors (四业) and the "4210" clusters, registered with one
  bulk import (POST /v1/imports/enterprises), with three years of annual figures (2023–2025, POST
  /v1/imports/figures).
* IP holdings, honours, held tiers and compliance declarations per firm, then evaluations dated
  :data:`EVALUATED_ON` (上年度 2025). The first firms follow fifteen archetypes built from the evaluation engine's
  worked examples, so that every tier (科技型, 创新型, 专精特新, 小巨人, 高新技术企业) has firms that come out eligible,
  not eligible and needs review; eligible archetypes are then certified (认定). The others get varied figures.
* Safe to run again: the imports change nothing the second time, and a firm that already has evaluations is left
  as it is. An endpoint that is missing (404/405) is skipped and reported, never fatal.

    .venv/bin/python -m services.registry.demo [--base-url http://127.0.0.1:8001] [--count 300]
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import random
import sys
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import httpx

from shared.auth import Role, issue_token
from shared.ids import org_code_check_char, patent_check_char, uscc_check_char
from shared.settings import LOCAL_JWT_SECRET

# Evaluations are dated, so that the archetypes keep their outcomes whenever the demo runs: the rule sets in force on
# 2026-06-01 read the 上年度 2025 (REFERENCE §0: the 2026 MIIT measures apply to 专精特新 and 小巨人 from 2026-04-01).
EVALUATED_ON = date(2026, 6, 1)
YEARS = (2023, 2024, 2025)
WAN = 1_000_000  # fen per 万元

# Districts (GB/T 2260) with the places their firms are named after, and a rough centre for the map.
DISTRICTS: dict[str, tuple[tuple[str, ...], tuple[float, float]]] = {
    "330502": (("吴兴", "织里", "八里店", "埭溪"), (120.10, 30.87)),
    "330503": (("南浔", "练市", "双林", "菱湖"), (120.42, 30.85)),
    "330521": (("德清", "武康", "新市", "莫干山"), (119.97, 30.54)),
    "330522": (("长兴", "雉城", "泗安", "和平"), (119.91, 31.03)),
    "330523": (("安吉", "孝丰", "递铺", "天荒坪"), (119.68, 30.64)),
}
# 南太湖新区 is a functional zone, not a division (REFERENCE §8.1): its firms carry 吴兴区's code (or 长兴县's, 弁山).
NANTAIHU = (("南太湖", "仁皇山", "滨湖", "凤凰"), (120.15, 30.92))

# "4210" cluster → (sector, GB/T 4754-2017 industry code, words in the name, main products, product tags).
CLUSTERS: dict[str, tuple[str, str, str, str, tuple[str, ...]]] = {
    "digital_industry": ("digital_services", "I6513", "数字科技", "工业互联网平台软件", ("工业软件", "数据服务")),
    "high_end_equipment": ("advanced_manufacturing", "C3421", "智能装备", "数控金属切削机床", ("数控机床", "智能制造")),
    "new_materials": ("strategic_emerging", "C2641", "新材料", "水性工业涂料与树脂", ("涂料", "功能材料")),
    "life_health": ("strategic_emerging", "C3581", "医疗器械", "体外诊断设备", ("医疗器械", "体外诊断")),
    "green_home": ("advanced_manufacturing", "C2110", "家居", "竹木复合家具", ("绿色家居", "竹木制品")),
    "modern_textile": ("advanced_manufacturing", "C1751", "纺织科技", "功能性化纤面料", ("面料", "功能纺织")),
    "electronic_components": ("advanced_manufacturing", "C3981", "电子", "片式电容与电感元件", ("电子元器件", "被动元件")),
    "beidou_geoinfo": ("future_industries", "C3990", "北斗信息", "北斗高精度定位终端", ("北斗", "地理信息")),
    "nev_parts": ("strategic_emerging", "C3670", "新能源科技", "新能源汽车电驱部件", ("新能源汽车", "电驱动")),
    "smart_logistics_equipment": ("advanced_manufacturing", "C3434", "物流装备", "智能分拣输送设备", ("智能物流", "输送设备")),
    "high_end_metal_materials": ("advanced_manufacturing", "C3311", "金属材料", "高强度钢结构件", ("钢结构", "金属材料")),
    "biomedicine": ("strategic_emerging", "C2710", "生物医药", "创新药中间体", ("原料药", "医药中间体")),
    "modern_cosmetics": ("advanced_manufacturing", "C2682", "美妆科技", "功能性护肤品", ("化妆品", "护肤")),
    "wood_products": ("advanced_manufacturing", "C2039", "木业", "实木复合地板", ("木地板", "木制品")),
    "chairs": ("advanced_manufacturing", "C2190", "椅业", "人体工学办公椅", ("办公椅", "功能座椅")),
    "childrens_clothing": ("advanced_manufacturing", "C1819", "童装", "婴童机织服装", ("童装", "婴童服饰")),
}
CORE_WORDS = ("精工", "华创", "瑞丰", "博远", "中科", "恒信", "天成", "绿源", "新航", "金石", "云帆", "星辰", "锐捷",
              "卓越", "鼎力", "宏图", "嘉和", "汇智", "天润", "正泰")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡沈钱施姚闵"
GIVEN = ("伟", "芳", "强", "敏", "静", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "霞", "平", "刚")
ROADS = ("青铜路", "红丰路", "康山大道", "南太湖大道", "湖州大道", "太湖路", "人民路", "科技大道")
COMPLIANT = {"resident_in_mainland": True, "products_in_prohibited_category": False,
             "on_abnormal_operation_list": False, "on_serious_dishonesty_list": False, "incidents": []}


def demo_uscc(n: int, district: str) -> str:
    """A well-formed USCC (GB 32100) of a firm registered in ``district``; demo firms use organisation codes 7xxxxxxx."""
    org = f"{70000000 + n:08d}"
    first17 = f"91{district}{org}{org_code_check_char(org)}"
    return first17 + uscc_check_char(first17)


def patent(year: int, kind_digit: str, serial: int) -> str:
    """A 专利号 with a right check character (ZC 0006-2003): the API validates it."""
    digits = f"{year}{kind_digit}{serial:07d}"
    return f"ZL{digits}.{patent_check_char(digits)}"


# --- what one firm reports and holds -------------------------------------------------------------------------------


@dataclass
class Plan:
    """One firm as the API's bodies: its profile row, figures per year (fen), IP, honours, held tiers recorded
    from before the registry, declarations (None: never declared), and the evaluations to run."""

    profile: dict[str, Any]
    figures: dict[int, dict[str, Any]] = field(default_factory=dict)
    ip: list[dict[str, Any]] = field(default_factory=list)
    honours: list[dict[str, Any]] = field(default_factory=list)
    held: list[dict[str, Any]] = field(default_factory=list)
    declarations: dict[str, Any] | None = None
    evaluations: list[dict[str, Any]] = field(default_factory=list)
    # The archetype's (tier, outcome), for the summary and the tests; None for the varied firms.
    expected: tuple[str, str] | None = None


def _fen(**wan_or_values: Any) -> dict[str, Any]:
    """Figures with money in 万元 (keys ending _wan) as the API's fen."""
    out: dict[str, Any] = {}
    for key, value in wan_or_values.items():
        if key.endswith("_wan"):
            out[key[:-4] + "_fen"] = int(round(value * WAN))
        else:
            out[key] = value
    return out


def _invention(serial: int, year: int = 2020, **extra: Any) -> dict[str, Any]:
    return {"kind": "invention_patent", "reference": patent(year, "1", serial), "title": "一种检测装置及方法",
            "acquisition": "self_developed", "related_to_main_product": True, "granted_on": f"{year}-05-01",
            "high_value": False, "rights_holder_rank": 1, "applied_with_economic_benefit": True, **extra}


def _held(tier: str, n: int) -> dict[str, Any]:
    # Recorded certificates must still be valid when recorded: the validity reaches a year past today.
    until = max(date(2026, 12, 31), date.today() + timedelta(days=365))
    return {"tier": tier, "certificate_no": f"DEMO-{tier}-{n:04d}", "valid_from": "2024-01-01",
            "valid_until": until.isoformat(), "override_reason": "演示数据：认定早于本系统（浙江省经济和信息化厅）"}


def _score(year: int, value: int) -> dict[str, Any]:
    return {"kind": "development_score", "year": year, "score": str(value), "evidence": "zjtx.miit.gov.cn（演示）"}


def _evaluate(tier: str, **expert_inputs: Any) -> dict[str, Any]:
    return {"tier": tier, "evaluation_date": EVALUATED_ON.isoformat(), "expert_inputs": expert_inputs}


# Each archetype edits a plan for firm ``n``. The numbers are the evaluation engine's worked examples
# (tests/registry/domain), moved one year later so that 2025 is the 上年度.


def tech_sme(plan: Plan, n: int, outcome: str) -> None:
    """科技型 2017: 科技人员 30% → 20, 研发投入 6% → 50, one Ⅰ类 → 30: 100. Weak: 12%, 1%, no IP: 4. Incidents
    not declared: needs review."""
    weak = outcome == "not_eligible"
    plan.figures = {2023: _fen(employees=42, operating_revenue_wan=1500, rd_expense_wan=80),
                    2024: _fen(employees=46, operating_revenue_wan=1800, rd_expense_wan=100),
                    2025: _fen(employees=50, tech_staff=6 if weak else 15, operating_revenue_wan=2000,
                               rd_expense_wan=20 if weak else 120, total_cost_expense_wan=1000,
                               total_assets_wan=1500)}
    plan.ip = [] if weak else [_invention(n * 10 + 1)]
    plan.declarations = {**COMPLIANT, "incidents": None} if outcome == "needs_review" else dict(COMPLIANT)
    plan.evaluations = [_evaluate("tech_sme")]


def innovative_sme(plan: Plan, n: int, outcome: str) -> None:
    """创新型 2022: IP 15 + R&D 6% 20 + growth 20% 20 + debt 40% 10 + field 10 + share 90% 20 = 95. Weak: 5.
    R&D expense not reported: the innovation minimum cannot be decided, needs review."""
    if outcome == "not_eligible":
        plan.figures = {2023: _fen(equity_financing_wan=0),
                        2024: _fen(equity_financing_wan=0, main_business_revenue_wan=1900),
                        2025: _fen(employees=50, operating_revenue_wan=2000, main_business_revenue_wan=900,
                                   rd_expense_wan=10, total_assets_wan=1500, total_liabilities_wan=1200,
                                   equity_financing_wan=0)}
        plan.evaluations = [_evaluate("innovative_sme", main_product_in_strategic_emerging_industry=False)]
    else:
        latest = _fen(employees=50, operating_revenue_wan=2000, main_business_revenue_wan=1800, rd_expense_wan=120,
                      total_assets_wan=1500, total_liabilities_wan=600, equity_financing_wan=0)
        if outcome == "needs_review":
            del latest["rd_expense_fen"]
        plan.figures = {2023: _fen(equity_financing_wan=0, main_business_revenue_wan=1200),
                        2024: _fen(equity_financing_wan=0, main_business_revenue_wan=1500), 2025: latest}
        plan.ip = [_invention(n * 10 + 1)]
        plan.evaluations = [_evaluate("innovative_sme", main_product_in_strategic_emerging_industry=True)]
    plan.declarations = dict(COMPLIANT)


def srdi_sme(plan: Plan, n: int, outcome: str) -> None:
    """专精特新 2026: valid 创新型 status, niche since 2016, revenue 2000万 (share 85%, debt 60%), R&D ≥ 100万 and
    ≥ 3% in both years, one applied invention, market position confirmed, development score 50. Not eligible: 2025
    R&D 90万. Needs review: no development score yet."""
    plan.figures = {2023: _fen(operating_revenue_wan=1600, rd_expense_wan=100, equity_financing_wan=0),
                    2024: _fen(operating_revenue_wan=1800, rd_expense_wan=120, equity_financing_wan=0),
                    2025: _fen(employees=80, operating_revenue_wan=2000, main_business_revenue_wan=1700,
                               rd_expense_wan=90 if outcome == "not_eligible" else 100, total_assets_wan=2000,
                               total_liabilities_wan=1200, equity_financing_wan=0)}
    plan.ip = [_invention(n * 10 + 1, 2022)]
    plan.held = [_held("innovative_sme", n)]
    plan.honours = [] if outcome == "needs_review" else [_score(2026, 50)]
    plan.declarations = {**COMPLIANT, "niche_market_since": "2016-01-01"}
    plan.evaluations = [_evaluate("srdi_sme", market_position_recognised=True)]


def little_giant(plan: Plan, n: int, outcome: str) -> None:
    """小巨人 2026: valid 专精特新 status, revenue 8000万 (share 92%, CAGR 6.9%, debt 60%), R&D 750 + 500 = 1250万,
    four applied Ⅰ类, market share 12%, key field confirmed, score 65. Not eligible: R&D 500 + 500 = 1000万 < 1200万.
    Needs review: the key-field judgement is not given."""
    plan.figures = {2023: _fen(operating_revenue_wan=7000),
                    2024: _fen(operating_revenue_wan=7500, rd_expense_wan=500 if outcome == "not_eligible" else 750),
                    2025: _fen(employees=200, operating_revenue_wan=8000, main_business_revenue_wan=7360,
                               rd_expense_wan=500, total_assets_wan=8000, total_liabilities_wan=4800,
                               market_share="0.12")}
    plan.ip = [_invention(n * 10 + k, 2021) for k in range(4)]
    plan.held = [_held("srdi_sme", n)]
    plan.honours = [_score(2026, 65)]
    plan.declarations = {**COMPLIANT, "niche_market_since": "2016-01-01"}
    judgement = {} if outcome == "needs_review" else {"main_product_in_key_fields_2026": True}
    plan.evaluations = [_evaluate("little_giant", **judgement)]


HNTE_POINTS = {"tech_advancement": 8, "core_support": 6, "ip_quantity": 8, "ip_acquisition": 6, "conversion": 22,
               "rd_management_system": 6, "rd_institution_cooperation": 5, "conversion_incentives": 3,
               "talent_system": 3, "net_asset_growth": 8, "sales_growth": 6}  # 28 + 22 + 17 + 14 = 81


def hnte(plan: Plan, n: int, outcome: str) -> None:
    """高新技术企业 2016: R&D 5% of three years' revenue, all domestic; high-tech revenue 65.6%; 科技人员 20%. With
    the expert panel's points 81 ≥ 71: eligible. Without them the score spans 51–86: needs review. R&D at 2% of
    revenue: not eligible whatever the experts say."""
    rd = (80, 100, 120) if outcome == "not_eligible" else (200, 250, 300)
    plan.figures = {
        2023: _fen(operating_revenue_wan=4000, rd_expense_wan=rd[0], rd_expense_domestic_wan=rd[0],
                   total_assets_wan=3000, total_liabilities_wan=1000, tech_results_converted=3),
        2024: _fen(operating_revenue_wan=5000, rd_expense_wan=rd[1], rd_expense_domestic_wan=rd[1],
                   total_assets_wan=3600, total_liabilities_wan=1100, tech_results_converted=4),
        2025: _fen(employees=100, tech_staff=20, operating_revenue_wan=6000, total_income_wan=6100,
                   high_tech_product_revenue_wan=4000, rd_expense_wan=rd[2], rd_expense_domestic_wan=rd[2],
                   total_assets_wan=4200, total_liabilities_wan=1075, tech_results_converted=5),
    }
    plan.ip = [_invention(n * 10 + 1, 2021), _invention(n * 10 + 2, 2020)]
    plan.declarations = dict(COMPLIANT)
    experts: dict[str, Any] = {"core_technology_in_supported_fields": True, "hnte_technology_advancement_grade": "A",
                               "hnte_core_support_grade": "B"}
    if outcome != "needs_review":
        experts["hnte_points"] = HNTE_POINTS
    plan.evaluations = [_evaluate("hnte", **experts)]


ARCHETYPES = [(builder, tier, outcome)
              for builder, tier in ((tech_sme, "tech_sme"), (innovative_sme, "innovative_sme"), (srdi_sme, "srdi_sme"),
                                    (little_giant, "little_giant"), (hnte, "hnte"))
              for outcome in ("eligible", "not_eligible", "needs_review")]


def varied(plan: Plan, n: int, rng: random.Random) -> None:
    """A firm with plausible figures of its size, a few IP holdings and honours, evaluated for 科技型 and 创新型."""
    employees = rng.choice((rng.randint(8, 19), rng.randint(20, 99), rng.randint(20, 99), rng.randint(100, 280)))
    revenue = employees * rng.uniform(25, 90)  # 万元
    for offset, year in enumerate(reversed(YEARS)):
        grown = revenue / (rng.uniform(1.0, 1.3) ** offset)
        staff = max(3, int(employees / (1.08 ** offset)))
        assets = grown * rng.uniform(0.7, 1.4)
        rd = grown * rng.uniform(0.005, 0.08)
        plan.figures[year] = _fen(
            employees=staff, rd_staff=int(staff * rng.uniform(0.05, 0.3)), tech_staff=int(staff * rng.uniform(0.1, 0.4)),
            operating_revenue_wan=round(grown, 2), main_business_revenue_wan=round(grown * rng.uniform(0.8, 0.98), 2),
            rd_expense_wan=round(rd, 2), rd_expense_domestic_wan=round(rd, 2),
            total_cost_expense_wan=round(grown * rng.uniform(0.75, 0.95), 2), total_assets_wan=round(assets, 2),
            total_liabilities_wan=round(assets * rng.uniform(0.2, 0.7), 2),
            net_profit_wan=round(grown * rng.uniform(-0.03, 0.12), 2),
            equity_financing_wan=rng.choice((0, 0, 0, 0, 300, 800)), digital_maturity_level=rng.randint(1, 4))
    for k in range(rng.choice((0, 1, 1, 2, 3))):
        plan.ip.append(_invention(n * 10 + k, rng.randint(2016, 2024)) if rng.random() < 0.5 else {
            "kind": "utility_model", "reference": patent(rng.randint(2019, 2024), "2", n * 10 + k),
            "acquisition": "self_developed", "related_to_main_product": True,
            "granted_on": f"{rng.randint(2019, 2024)}-0{rng.randint(1, 9)}-15"})
    if rng.random() < 0.3:
        stage = rng.choice(("digital_workshop", "digital_workshop", "smart_factory", "future_factory"))
        plan.honours.append({"kind": "digital_ladder", "stage": stage, "year": rng.randint(2021, 2025)})
    if rng.random() < 0.5:
        plan.honours.append({"kind": "quality_certification", "name": "ISO 9001", "valid_from": "2022-03-01"})
    plan.declarations = None if rng.random() < 0.05 else {**COMPLIANT, "niche_market_since": f"{rng.randint(2010, 2020)}-01-01"}
    plan.evaluations = [_evaluate("tech_sme"), _evaluate("innovative_sme",
                                                         main_product_in_strategic_emerging_industry=rng.random() < 0.6)]


def plans(count: int, seed: int = 2025) -> list[Plan]:
    """``count`` firms; the first ones cycle through the archetypes (three of each when ``count`` allows)."""
    rng = random.Random(seed)
    districts = [*((code, *DISTRICTS[code], None) for code in DISTRICTS), ("330502", *NANTAIHU, "nantaihu")]
    clusters = list(CLUSTERS)
    out = []
    for n in range(count):
        district, places, (lon, lat), zone = districts[n % len(districts)]
        cluster = clusters[(n * 7) % len(clusters)]
        archetype = ARCHETYPES[n % len(ARCHETYPES)] if n < 3 * len(ARCHETYPES) else None
        if archetype is not None and not CLUSTERS[cluster][1].startswith("C"):
            # The worked examples' firms are industrial (工业) in the size tables.
            cluster = "electronic_components"
        sector, industry, word, products, tags = CLUSTERS[cluster]
        place = places[(n // len(districts)) % len(places)]
        established = date(rng.randint(2006, 2021), rng.randint(1, 12), rng.randint(1, 28))
        profile = {
            "uscc": demo_uscc(n, district),
            "name": f"湖州{place}{CORE_WORDS[n % len(CORE_WORDS)]}{word}{'股份' if n % 5 == 0 else ''}有限公司",
            "short_name": f"{CORE_WORDS[n % len(CORE_WORDS)]}{word}",
            "legal_representative": rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(("", *GIVEN)),
            "contact_name": rng.choice(SURNAMES) + rng.choice(GIVEN),
            "contact_phone": f"13{rng.randint(3, 9)}{rng.randint(10000000, 99999999)}",
            "contact_email": f"contact{n:04d}@demo.seedbed.cn",
            "established_on": established.isoformat(),
            "district_code": district,
            "functional_zone": zone or "",
            "address": f"湖州市{places[0]}{ROADS[n % len(ROADS)]}{rng.randint(1, 999)}号",
            "longitude": round(lon + rng.uniform(-0.06, 0.06), 5),
            "latitude": round(lat + rng.uniform(-0.04, 0.04), 5),
            "industry_code": industry,
            "sector": sector,
            "cluster": cluster,
            "main_products": products,
            "product_tags": ";".join(tags),
        }
        plan = Plan(profile)
        if archetype is not None:
            builder, tier, outcome = archetype
            profile["established_on"] = "2015-03-01"  # as in the worked examples (registered ≥ 365 days, niche ≥ 3 years)
            builder(plan, n, outcome)
            plan.expected = (tier, outcome)
        else:
            varied(plan, n, rng)
        out.append(plan)
    return out


# --- loading through the API -----------------------------------------------------------------------------------------

ENTERPRISE_COLUMNS = ("uscc", "name", "short_name", "legal_representative", "contact_name", "contact_phone",
                      "contact_email", "established_on", "district_code", "functional_zone", "address", "longitude",
                      "latitude", "industry_code", "sector", "cluster", "main_products", "product_tags")
FIGURE_COLUMNS = ("employees", "rd_staff", "tech_staff", "operating_revenue_fen", "main_business_revenue_fen",
                  "total_income_fen", "rd_expense_fen", "rd_expense_domestic_fen", "total_cost_expense_fen",
                  "total_assets_fen", "total_liabilities_fen", "net_profit_fen", "high_tech_product_revenue_fen",
                  "equity_financing_fen", "market_share", "domestic_market_rank", "digital_maturity_level",
                  "tech_results_converted")


def _csv(header: tuple[str, ...], rows: list[list[Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(["" if v is None else v for v in row] for row in rows)
    return out.getvalue().encode("utf-8")


@dataclass
class Tally:
    done: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)
    refused: list[str] = field(default_factory=list)
    outcomes: Counter[tuple[str, str]] = field(default_factory=Counter)
    # Archetypes whose evaluation did not come out as designed: a rule set changed, or the data no longer fits it.
    unexpected: list[str] = field(default_factory=list)


async def _call(client: httpx.AsyncClient, tally: Tally, step: str, method: str, url: str, **kwargs: Any) -> httpx.Response | None:
    """One API call; a missing endpoint (404/405) is skipped and counted, a refusal is noted, neither stops the demo."""
    response = await client.request(method, url, **kwargs)
    if response.status_code in (404, 405):
        tally.skipped[step] += 1
        return None
    if response.status_code >= 400:
        tally.refused.append(f"{step} {url}: {response.status_code} {response.text[:300]}")
        return None
    tally.done[step] += 1
    return response


async def _enterprise_ids(client: httpx.AsyncClient) -> dict[str, str]:
    ids: dict[str, str] = {}
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 200, **({"cursor": cursor} if cursor else {})}
        response = await client.get("/v1/enterprises", params=params)
        response.raise_for_status()
        page = response.json()
        ids.update({item["uscc"]: item["id"] for item in page["items"]})
        cursor = page.get("next_cursor")
        if not cursor:
            return ids


async def load(client: httpx.AsyncClient, count: int = 300) -> Tally:
    """Load ``count`` demo firms through the API behind ``client`` (which carries an admin token)."""
    tally = Tally()
    firms = plans(count)
    enterprises = _csv(ENTERPRISE_COLUMNS, [[p.profile[c] for c in ENTERPRISE_COLUMNS] for p in firms])
    response = await _call(client, tally, "enterprise import", "POST", "/v1/imports/enterprises",
                           files={"file": ("demo-enterprises.csv", enterprises, "text/csv")})
    if response is None:
        raise RuntimeError(f"the enterprise import failed: {tally.refused or tally.skipped}")
    report = response.json()
    if report["rejected"]:
        raise RuntimeError(f"demo enterprises rejected: {report['rejections'][:5]}")
    figures = _csv(("uscc", "year", *FIGURE_COLUMNS),
                   [[p.profile["uscc"], year, *(values.get(c) for c in FIGURE_COLUMNS)]
                    for p in firms for year, values in sorted(p.figures.items())])
    response = await _call(client, tally, "figures import", "POST", "/v1/imports/figures",
                           files={"file": ("demo-figures.csv", figures, "text/csv")})
    if response is not None and response.json()["rejected"]:
        tally.refused.extend(f"figures line {r['line']}: {r['field']} {r['reason']}" for r in response.json()["rejections"][:5])

    ids = await _enterprise_ids(client)
    for plan in firms:
        base = f"/v1/enterprises/{ids[plan.profile['uscc']]}"
        existing = await client.get(f"{base}/evaluations", params={"limit": 1})
        if existing.status_code == 200 and existing.json()["items"]:
            tally.done["firm already loaded"] += 1
            continue
        for body in plan.ip:
            await _call(client, tally, "IP holding", "POST", f"{base}/ip-holdings", json=body)
        for body in plan.honours:
            await _call(client, tally, "honour", "POST", f"{base}/honours", json=body)
        for body in plan.held:
            await _call(client, tally, "held tier", "POST", f"{base}/certifications", json=body)
        if plan.declarations is not None:
            await _call(client, tally, "declarations", "PUT", f"{base}/declarations", json=plan.declarations)
        for body in plan.evaluations:
            evaluated = await _call(client, tally, "evaluation", "POST", f"{base}/evaluations", json=body)
            if evaluated is None:
                continue
            result = evaluated.json()
            tally.outcomes[(result["tier"], result["outcome"])] += 1
            if plan.expected is not None and plan.expected != (result["tier"], result["outcome"]):
                tally.unexpected.append(f"{plan.profile['name']}: {result['tier']} {result['outcome']}, "
                                        f"designed {plan.expected[1]}")
            if plan.expected is not None and result["outcome"] == "eligible":
                await _call(client, tally, "certification", "POST", f"{base}/certifications",
                            json={"evaluation_id": result["id"], "certificate_no": f"DEMO-{result['tier']}-{plan.profile['uscc'][-6:]}",
                                  "valid_from": EVALUATED_ON.isoformat()})
    return tally


def summary(tally: Tally, count: int) -> str:
    lines = [f"demo data: {count} firms; " + ", ".join(f"{n} {step}" for step, n in sorted(tally.done.items()))]
    if tally.outcomes:
        tiers = sorted({tier for tier, _ in tally.outcomes})
        lines.append("evaluations: " + "; ".join(
            f"{tier} " + "/".join(f"{tally.outcomes[(tier, o)]}" for o in ("eligible", "not_eligible", "needs_review"))
            for tier in tiers) + " (eligible/not eligible/needs review)")
    if tally.skipped:
        lines.append("skipped (endpoint missing): " + ", ".join(f"{n} {step}" for step, n in sorted(tally.skipped.items())))
    if tally.unexpected:
        lines.append("archetypes off design: " + " | ".join(tally.unexpected))
    if tally.refused:
        lines.append(f"refused ({len(tally.refused)}): " + " | ".join(tally.refused[:5]))
    return "\n".join(lines)


async def _main(base_url: str, count: int) -> int:
    token = issue_token(secret=LOCAL_JWT_SECRET, role=Role.ADMIN, subject="demo-loader")
    async with httpx.AsyncClient(base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=120) as client:
        try:
            tally = await load(client, count)
        except (httpx.HTTPError, RuntimeError) as exc:
            print(f"demo: {exc}", file=sys.stderr)
            return 1
    print(summary(tally, count))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.registry.demo", description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8001")
    parser.add_argument("--count", type=int, default=300)
    args = parser.parse_args(argv)
    return asyncio.run(_main(args.base_url, args.count))


if __name__ == "__main__":
    sys.exit(main())
