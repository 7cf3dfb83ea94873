"""Valid domain values to start tests from: each test changes only what it is about."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

from services.scenarios.domain.applications import ApplicationContent, Partner, TeamMember
from services.scenarios.domain.challenges import Bounty, ChallengeTerms, IpTerms, TechnicalIndicator
from services.scenarios.domain.eligibility import Eligibility
from services.scenarios.domain.scenarios import BudgetRange, ScenarioContent
from services.scenarios.domain.values import Publisher, PublisherKind, wan
from shared.ids import org_code_check_char, uscc_check_char

TODAY = date(2026, 5, 20)


def uscc(n: int, division: str = "330502") -> str:
    """A USCC that passes both GB 32100 and GB 11714 checks: 91 (enterprise), a Huzhou division, a made-up
    organisation code numbered ``n``."""
    body = f"{n:08d}"
    first17 = "91" + division + body + org_code_check_char(body)
    return first17 + uscc_check_char(first17)


LEAD, PARTNER_A, PARTNER_B, ISSUER, OTHER = (uscc(i) for i in (1, 2, 3, 4, 5))


def firm(code: str = ISSUER) -> Publisher:
    return Publisher(PublisherKind.ENTERPRISE, uscc=code)


DEPARTMENT = Publisher(PublisherKind.DEPARTMENT, department="湖州市经济和信息化局")


def scenario(**changes: object) -> ScenarioContent:
    base = ScenarioContent(
        publisher=firm(),
        title="印染废水在线监测与智能加药",
        description="链主企业征集印染废水COD在线监测与智能加药整体方案，要求在现有产线上完成应用验证。",
        sector="advanced_manufacturing",
        cluster="modern_textile",
        district_code="330503",
        deadline=date(2026, 9, 30),
        deliverable="一套可在两条产线部署的监测与加药系统",
        capability_tags=("机器视觉", "水处理", "工业互联网"),
        budget=BudgetRange(wan(50), wan(200)),
    )
    return replace(base, **changes)


def indicator(name: str = "COD去除率", target: str = "95", unit: str = "%", **changes: object) -> TechnicalIndicator:
    return TechnicalIndicator(name=name, target=Decimal(target), unit=unit, verification="third_party_test", **changes)


def terms(**changes: object) -> ChallengeTerms:
    base = ChallengeTerms(
        issuer=firm(),
        title="高性能碳纤维复合材料电池包壳体",
        background="新能源汽车关键零部件企业需要轻量化、阻燃的电池包壳体。",
        sector="strategic_emerging",
        cluster="nev_parts",
        district_code="330522",
        indicators=(indicator("减重", "30", "%"), indicator("拉伸强度", "600", "MPa")),
        bounty=Bounty(wan(500), wan(400), wan(100)),
        duration_months=24,
        application_deadline=date(2026, 7, 31),
        ip_terms=IpTerms("joint", "发榜方与揭榜方按 6:4 共有，发榜方享有免费实施权"),
        eligibility=Eligibility(min_tier="tech_sme", areas=frozenset({"330522", "330502"})),
    )
    return replace(base, **changes)


def member(name: str = "王工", role: str = "lead", organisation: str = LEAD) -> TeamMember:
    return TeamMember(name, role, organisation, "高级工程师")


def application(**changes: object) -> ApplicationContent:
    base = ApplicationContent(
        lead_uscc=LEAD,
        summary="热塑性碳纤维预浸料模压成型，配合阻燃涂层。",
        technical_route="热塑性预浸料 + 快速模压",
        budget_fen=wan(600),
        requested_fen=wan(300),
        team=(member(), member("李博士", "core", PARTNER_A)),
        partners=(Partner(PARTNER_A, "浙江某大学", "university", "材料配方与测试"),),
        commitment_signed=True,
    )
    return replace(base, **changes)
