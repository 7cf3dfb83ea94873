"""From stored rows to the evaluation engine's inputs (domain.figures.EvaluationInputs).

Loading is batch-first: :func:`load_facts` reads everything the engine needs for MANY enterprises with one query
per table, so that the annual re-evaluation of 100 000 firms costs a few queries per batch, not several per firm.
The single-enterprise use cases call it with one id.

What the engine sees is what the firm held on the evaluation date: IP granted or transferred in later, honours
that start later, and figures after the 上年度 are left out, so that a stored evaluation keeps answering the
question it was asked. Honours count only once verified (an officer's entry, or a firm's declaration an officer
verified).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select, true
from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.domain import figures as domain
from services.registry.domain.evaluation import EvaluationOptions, Purpose, RuleSet
from services.registry.models import Enterprise
from services.registry.models.evaluations import Certification
from services.registry.models.figures import VERIFIED, AnnualFigures, EnterpriseDeclarations, Honour, IpHolding

# Bump when the mapping from rows to inputs, or rule behaviour written in code (a measure's method, a shared table
# such as the size-class thresholds), changes meaning, so that stored digests stop matching and the next
# re-evaluation recomputes every evaluation. A change of a rule set's data needs no bump: the digest includes the
# rule set's content fingerprint.
RULE_CODE_VERSION = 2  # 2: only verified honours count; HNTE growth over a negative year is scored 0 for review

# Rules look back at most three years before the 上年度 (HNTE growth over three years, 近三年 windows); one more
# year is kept so that a rule reading "the year before the first" still finds it.
YEARS_READ = 5

ANNUAL_FIELDS = (
    "employees", "tech_staff", "operating_revenue_fen", "main_business_revenue_fen", "total_income_fen",
    "rd_expense_fen", "rd_expense_domestic_fen", "total_cost_expense_fen", "total_assets_fen",
    "total_liabilities_fen", "net_profit_fen", "high_tech_product_revenue_fen", "equity_financing_fen",
    "market_share", "domestic_market_rank", "digital_maturity_level", "tech_results_converted",
)
DIGITAL_LADDER_ORDER = {domain.DigitalLadder.DIGITAL_WORKSHOP: 1, domain.DigitalLadder.SMART_FACTORY: 2,
                        domain.DigitalLadder.FUTURE_FACTORY: 3}
PROVINCIAL_OR_HIGHER = frozenset({domain.AwardLevel.NATIONAL.value, domain.AwardLevel.PROVINCIAL_MINISTERIAL.value})


@dataclass
class EnterpriseFacts:
    """Every stored row the engine reads for one enterprise (plain rows, not ORM objects: cheap in bulk)."""

    enterprise: Any
    figures: list[Any] = field(default_factory=list)
    ip_holdings: list[Any] = field(default_factory=list)
    honours: list[Any] = field(default_factory=list)
    declarations: Any = None
    certifications: list[Any] = field(default_factory=list)


async def load_facts(session: AsyncSession, enterprise_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, EnterpriseFacts]:
    """The facts of every enterprise in ``enterprise_ids``: one query per table, whatever the number of firms."""
    ids = list(enterprise_ids)
    if not ids:
        return {}
    enterprise_rows = await session.execute(
        select(Enterprise.id, Enterprise.uscc, Enterprise.name, Enterprise.established_on, Enterprise.industry_code)
        .where(Enterprise.id.in_(ids))
    )
    facts = {row.id: EnterpriseFacts(enterprise=row) for row in enterprise_rows}
    honours = Honour.__table__
    for table, attribute, counted in (
        (AnnualFigures.__table__, "figures", true()), (IpHolding.__table__, "ip_holdings", true()),
        # What a firm declares about itself counts once an officer has verified it (models.figures.Honour).
        (honours, "honours", honours.c.verification == VERIFIED),
        (Certification.__table__, "certifications", true()),
    ):
        for row in await session.execute(select(table).where(table.c.enterprise_id.in_(ids), counted)):
            if row.enterprise_id in facts:
                getattr(facts[row.enterprise_id], attribute).append(row)
    declarations = EnterpriseDeclarations.__table__
    for row in await session.execute(select(declarations).where(declarations.c.enterprise_id.in_(ids))):
        if row.enterprise_id in facts:
            facts[row.enterprise_id].declarations = row
    return facts


@dataclass(frozen=True)
class Question:
    """What an evaluation asks: the tier, on which date, under which version, with which expert judgements."""

    tier: str
    evaluation_date: date
    requested_version: str | None = None
    purpose: Purpose = Purpose.APPLICATION
    judgements: domain.ExpertJudgements = domain.ExpertJudgements()
    options: EvaluationOptions = EvaluationOptions()
    tech_sme_rd_option: domain.TechSmeRdOption | None = None

    @property
    def latest_year(self) -> int:
        return self.options.latest_year or self.evaluation_date.year - 1


def build_inputs(facts: EnterpriseFacts, question: Question) -> domain.EvaluationInputs:
    """The engine's inputs for ``question`` from the stored rows."""
    day = question.evaluation_date
    first_year = question.latest_year - YEARS_READ + 1
    annual = tuple(
        _annual(row) for row in sorted(facts.figures, key=lambda r: r.year) if first_year <= row.year <= question.latest_year
    )
    held_ip = tuple(_ip(row) for row in sorted(facts.ip_holdings, key=lambda r: r.reference) if _ip_held_on(row, day))
    honours, scores = _honours(facts, day)
    return domain.EvaluationInputs(
        profile=_profile(facts),
        annual=annual,
        ip_holdings=held_ip,
        honours=honours,
        judgements=question.judgements,
        imported_scores=scores,
        tech_sme_rd_option=question.tech_sme_rd_option,
    )


def question_digest(question: Question, inputs: domain.EvaluationInputs, rule_set: RuleSet) -> str:
    """A fingerprint of everything that decides an evaluation: equal digests give equal results.

    It covers the inputs, the question, the rule set that answers it — its id and the fingerprint of its whole
    content, so that a rule set edited without a new version (a corrected threshold, band or label) re-runs every
    evaluation it decided — and RULE_CODE_VERSION for what lives in code. The rule set's fingerprint is computed
    once per rule set object (RuleSet.fingerprint), so this costs the same for the 100 000th firm as for the first.

    Built on ``repr`` of the frozen domain objects, which names every field and value (enums, Decimals and dates
    included) and costs a fraction of the plain conversion, so an unchanged firm is skipped cheaply in bulk."""
    document = (inputs, question.tier, question.evaluation_date, question.requested_version, question.purpose,
                question.options, rule_set.id, rule_set.fingerprint, RULE_CODE_VERSION)
    return hashlib.sha256(repr(document).encode()).hexdigest()


# --- rows → domain -----------------------------------------------------------------------------------------------


def _profile(facts: EnterpriseFacts) -> domain.EnterpriseProfile:
    e, d = facts.enterprise, facts.declarations
    incidents = None
    if d is not None and d.incidents is not None:
        incidents = tuple(
            domain.Incident(kind=i["kind"], occurred_on=date.fromisoformat(i["occurred_on"]),
                            description=i.get("description", ""))
            for i in d.incidents
        )
    return domain.EnterpriseProfile(
        uscc=e.uscc,
        name=e.name,
        established_on=e.established_on,
        industry_code=e.industry_code,
        resident_in_mainland=None if d is None else d.resident_in_mainland,
        products_in_prohibited_category=None if d is None else d.products_in_prohibited_category,
        on_abnormal_operation_list=None if d is None else d.on_abnormal_operation_list,
        on_serious_dishonesty_list=None if d is None else d.on_serious_dishonesty_list,
        incidents=incidents,
        niche_market_since=None if d is None else d.niche_market_since,
    )


def _annual(row: Any) -> domain.AnnualFigures:
    return domain.AnnualFigures(year=row.year, r_and_d_staff=row.rd_staff, **{name: getattr(row, name) for name in ANNUAL_FIELDS})


def _ip_held_on(row: Any, day: date) -> bool:
    return (row.granted_on is None or row.granted_on <= day) and (row.acquired_on is None or row.acquired_on <= day)


def _ip(row: Any) -> domain.IpHolding:
    return domain.IpHolding(
        ref=row.reference,
        kind=row.kind,
        acquisition=row.acquisition,
        related_to_main_product=row.related_to_main_product,
        in_force=row.in_force,
        granted_on=row.granted_on,
        transferred_in_on=row.acquired_on,
        high_value=row.high_value,
        rights_holder_rank=row.rights_holder_rank,
        applied_with_economic_benefit=row.applied_with_economic_benefit,
        disputed=row.disputed,
    )


def _valid_on(row: Any, day: date) -> bool:
    return (row.valid_from is None or row.valid_from <= day) and (row.valid_until is None or day <= row.valid_until)


def _honours(facts: EnterpriseFacts, day: date) -> tuple[domain.Honours, tuple[domain.ImportedScore, ...]]:
    certifications: list[domain.Certification] = list(_held_tiers_as_certifications(facts.certifications, day))
    institutions: list[domain.RdInstitution] = []
    awards: list[domain.ScienceAward] = []
    standards: list[domain.StandardWork] = []
    placings: list[domain.MakerChinaPlacing] = []
    scores: dict[int, domain.ImportedScore] = {}
    quality = product = quality_award = brand = False
    ladder: domain.DigitalLadder | None = None
    for row in sorted(facts.honours, key=lambda r: (r.kind, r.year or 0, str(r.valid_from), r.number or "", str(r.id))):
        if row.year is not None and row.year > day.year:
            continue  # not yet granted on the evaluation date
        if row.kind == "certification":
            if row.valid_from <= day:
                certifications.append(domain.Certification(kind=row.certification_kind, valid_from=row.valid_from,
                                                            valid_until=row.valid_until, number=row.number))
        elif row.kind == "rd_institution":
            if _valid_on(row, day):
                institutions.append(domain.RdInstitution(name=row.name, level=row.level, recognised=bool(row.recognised),
                                                         recognised_on=row.valid_from))
        elif row.kind == "science_award":
            awards.append(domain.ScienceAward(name=row.name, level=row.level, year=row.year,
                                              category=row.category or domain.AwardCategory.OTHER, rank=row.rank))
        elif row.kind == "standard":
            standards.append(domain.StandardWork(code=row.number, level=row.level, role=row.role, year=row.year))
        elif row.kind == "maker_china":
            placings.append(domain.MakerChinaPlacing(year=row.year, national_top=row.national_top))
        elif row.kind == "quality_certification":
            quality = quality or _valid_on(row, day)
        elif row.kind == "product_certification":
            product = product or _valid_on(row, day)
        elif row.kind == "quality_award":
            quality_award = quality_award or row.level in PROVINCIAL_OR_HIGHER
        elif row.kind == "own_brand":
            brand = True
        elif row.kind == "digital_ladder":
            stage = domain.DigitalLadder(row.stage)
            if _valid_on(row, day) and (ladder is None or DIGITAL_LADDER_ORDER[stage] > DIGITAL_LADDER_ORDER[ladder]):
                ladder = stage
        elif row.kind == "development_score":
            # One score per year is enforced on write; the latest entry wins should old data repeat a year.
            scores[row.year] = domain.ImportedScore(year=row.year, score=row.score, evidence=row.evidence)
    honours = domain.Honours(
        certifications=tuple(certifications),
        rd_institutions=tuple(institutions),
        science_awards=tuple(awards),
        standards=tuple(standards),
        maker_china_placings=tuple(placings),
        # Honours are declarations like the IP list (domain.figures: an empty list declares none): an honour not
        # recorded is not held, so these are False rather than "unknown" when no row says otherwise.
        quality_management_certified=quality,
        developed_market_product_certified=product,
        provincial_quality_award=quality_award,
        own_brand=brand,
        digital_ladder=ladder,
    )
    return honours, tuple(scores[year] for year in sorted(scores))


def _held_tiers_as_certifications(rows: Iterable[Any], day: date) -> Iterable[domain.Certification]:
    """Tiers certified here, as the statuses later tiers require (e.g. 小巨人 2026 needs a valid 专精特新)."""
    for row in sorted(rows, key=lambda r: (r.tier, r.valid_from, r.certificate_no)):
        if row.valid_from > day:
            continue
        valid_until = row.valid_until
        if row.status == "revoked" and row.ended_on is not None:
            # A revoked certificate was valid until the day before its revocation, not for its printed period.
            valid_until = min(valid_until, row.ended_on - timedelta(days=1))
            if valid_until < row.valid_from:
                continue
        yield domain.Certification(kind=row.tier, valid_from=row.valid_from, valid_until=valid_until,
                                   number=row.certificate_no)

