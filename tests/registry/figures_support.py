"""Helpers for the figures and evaluations API tests: register a firm, read the outbox, and turn the engine's own
worked examples (tests/registry/domain) into the API calls an officer would make."""

from __future__ import annotations

import re
import sys
from dataclasses import fields
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx

from services.registry.domain import figures as domain
from services.registry.domain.plain import to_plain
from shared.auth import Role
from shared.ids import patent_check_char
from tests.registry.pools_support import database_url as database_url  # re-exported for the figures tests
from tests.registry.pools_support import outbox_payloads as outbox_payloads  # re-exported for the figures tests
from tests.support import make_uscc, token

# The domain worked examples live beside their builders in a directory without __init__.py.
DOMAIN_TESTS = Path(__file__).resolve().parent / "domain"
if str(DOMAIN_TESTS) not in sys.path:
    sys.path.insert(0, str(DOMAIN_TESTS))

OFFICER = token(Role.OFFICER, districts=["330502"], subject="officer-wx")
ADMIN = token(Role.ADMIN)
WAN = 1_000_000  # fen per 万元

FIGURES_REPORTED = "seedbed.registry.enterprise.figures_reported.v1"
EVALUATED = "seedbed.registry.enterprise.evaluated.v1"
TIER_CHANGED = "seedbed.registry.enterprise.tier_changed.v1"

TIER_KINDS = {tier.value for tier in domain.Tier}


async def register(client: httpx.AsyncClient, n: int, *, district: str = "330502", established_on: str = "2015-03-01",
                   industry_code: str = "C3981") -> str:
    body = {"uscc": make_uscc(n, district), "name": f"湖州示例科技{n}有限公司", "district_code": district,
            "industry_code": industry_code, "established_on": established_on}
    response = await client.post("/v1/enterprises", json=body, headers=ADMIN)
    assert response.status_code == 201, response.text
    return response.json()["id"]


COMPLIANT = {"resident_in_mainland": True, "products_in_prohibited_category": False,
             "on_abnormal_operation_list": False, "on_serious_dishonesty_list": False, "incidents": []}


# --- worked examples → API calls ---------------------------------------------------------------------------------


def valid_patent_reference(ref: str) -> str:
    """The example's patent number with its check character made right: the API validates it, the engine does not."""
    match = re.fullmatch(r"(?:ZL|CN)?(\d{12})\.?[0-9X]", ref)
    return ref if match is None else f"ZL{match.group(1)}.{patent_check_char(match.group(1))}"


def figures_body(figures: domain.AnnualFigures) -> dict[str, Any]:
    body = {f.name: getattr(figures, f.name) for f in fields(figures) if f.name != "year"}
    body["rd_staff"] = body.pop("r_and_d_staff")
    return {k: (str(v) if k == "market_share" else v) for k, v in body.items() if v is not None}


def ip_body(holding: domain.IpHolding) -> dict[str, Any]:
    body = {"kind": holding.kind.value, "reference": valid_patent_reference(holding.ref),
            "acquisition": holding.acquisition, "related_to_main_product": holding.related_to_main_product,
            "in_force": holding.in_force, "granted_on": holding.granted_on, "acquired_on": holding.transferred_in_on,
            "high_value": holding.high_value, "rights_holder_rank": holding.rights_holder_rank,
            "applied_with_economic_benefit": holding.applied_with_economic_benefit, "disputed": holding.disputed}
    return {k: to_plain(v) for k, v in body.items() if v is not None}


def honour_bodies(honours: domain.Honours) -> list[dict[str, Any]]:
    bodies: list[dict[str, Any]] = []
    for c in honours.certifications:
        if c.kind.value not in TIER_KINDS:
            bodies.append({"kind": "certification", "certification_kind": c.kind.value, "number": c.number or "N-1",
                           "valid_from": c.valid_from.isoformat(),
                           **({"valid_until": c.valid_until.isoformat()} if c.valid_until else {})})
    for i in honours.rd_institutions:
        bodies.append({"kind": "rd_institution", "name": i.name, "level": i.level.value, "recognised": i.recognised,
                       **({"valid_from": i.recognised_on.isoformat()} if i.recognised_on else {})})
    for a in honours.science_awards:
        bodies.append({"kind": "science_award", "name": a.name, "level": a.level.value, "year": a.year,
                       "category": a.category.value, **({"rank": a.rank} if a.rank is not None else {})})
    for s in honours.standards:
        bodies.append({"kind": "standard", "number": s.code, "level": s.level.value, "role": s.role.value,
                       "year": s.year})
    for p in honours.maker_china_placings:
        bodies.append({"kind": "maker_china", "year": p.year, "national_top": p.national_top})
    if honours.quality_management_certified:
        bodies.append({"kind": "quality_certification", "name": "ISO 9001", "valid_from": "2020-01-01"})
    if honours.developed_market_product_certified:
        bodies.append({"kind": "product_certification", "name": "CE", "valid_from": "2020-01-01"})
    if honours.provincial_quality_award:
        bodies.append({"kind": "quality_award", "name": "浙江省质量奖", "level": "provincial_ministerial", "year": 2020})
    if honours.own_brand:
        bodies.append({"kind": "own_brand", "name": "湖州牌"})
    if honours.digital_ladder is not None:
        bodies.append({"kind": "digital_ladder", "stage": honours.digital_ladder.value, "year": 2020})
    return bodies


def held_tier_bodies(honours: domain.Honours) -> list[dict[str, Any]]:
    """Tier statuses the example holds, recorded as certificates issued before the registry. The validity runs a
    year past today so that the recording is accepted whenever the suite runs; the example's date stays inside."""
    return [{"tier": c.kind.value, "certificate_no": f"{c.kind.value}-{n}", "valid_from": c.valid_from.isoformat(),
             "valid_until": max(c.valid_until or date.max, date.today() + timedelta(days=365)).isoformat(),
             "override_reason": "issued by 浙江省经济和信息化厅 before the registry"}
            for n, c in enumerate(honours.certifications) if c.kind.value in TIER_KINDS]


def declarations_body(profile: domain.EnterpriseProfile) -> dict[str, Any]:
    return {"resident_in_mainland": profile.resident_in_mainland,
            "products_in_prohibited_category": profile.products_in_prohibited_category,
            "on_abnormal_operation_list": profile.on_abnormal_operation_list,
            "on_serious_dishonesty_list": profile.on_serious_dishonesty_list,
            "niche_market_since": None if profile.niche_market_since is None else profile.niche_market_since.isoformat(),
            "incidents": None if profile.incidents is None else to_plain(profile.incidents)}


def expert_inputs_body(judgements: domain.ExpertJudgements) -> dict[str, Any]:
    return {k: v for k, v in to_plain(judgements).items() if v not in (None, {})}


async def submit_example(client: httpx.AsyncClient, enterprise_id: str, example: domain.EvaluationInputs) -> None:
    """Everything the example's firm reports and holds, through the API as an officer would enter it."""
    base = f"/v1/enterprises/{enterprise_id}"
    for figures in example.annual:
        response = await client.put(f"{base}/figures/{figures.year}", json=figures_body(figures), headers=OFFICER)
        assert response.status_code == 201, response.text
    for holding in example.ip_holdings:
        response = await client.post(f"{base}/ip-holdings", json=ip_body(holding), headers=OFFICER)
        assert response.status_code == 201, response.text
    for body in honour_bodies(example.honours):
        response = await client.post(f"{base}/honours", json=body, headers=OFFICER)
        assert response.status_code == 201, response.text
    for score in example.imported_scores:
        body = {"kind": "development_score", "year": score.year, "score": str(score.score), "evidence": score.evidence}
        response = await client.post(f"{base}/honours", json=body, headers=OFFICER)
        assert response.status_code == 201, response.text
    for body in held_tier_bodies(example.honours):
        response = await client.post(f"{base}/certifications", json=body, headers=OFFICER)
        assert response.status_code == 201, response.text
    response = await client.put(f"{base}/declarations", json=declarations_body(example.profile), headers=OFFICER)
    assert response.status_code == 201, response.text
