"""Builders for evaluation inputs: a clean, compliant firm that each worked example then edits.

Kept as plain functions (not fixtures) so that hypothesis tests can call them freely.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

from services.registry.domain.figures import (
    AcquisitionMethod,
    AnnualFigures,
    Certification,
    CertificationKind,
    EnterpriseProfile,
    EvaluationInputs,
    ExpertJudgements,
    Honours,
    ImportedScore,
    IpHolding,
    IpKind,
    wan,
)

# Evaluated on 2025-06-01, the latest completed year (上年度) is 2024.
EVAL_2025 = date(2025, 6, 1)
# Under the 2026 measures, evaluated on 2026-06-01: 上年度 is 2025.
EVAL_2026 = date(2026, 6, 1)


def profile(**changes: Any) -> EnterpriseProfile:
    base = EnterpriseProfile(
        uscc="91330100716105852F",
        name="湖州示例科技有限公司",
        established_on=date(2015, 3, 1),
        industry_code="C3981",  # 电子元件及电子专用材料制造 → 工业
        resident_in_mainland=True,
        products_in_prohibited_category=False,
        on_abnormal_operation_list=False,
        on_serious_dishonesty_list=False,
        incidents=(),
        niche_market_since=date(2016, 1, 1),
    )
    return replace(base, **changes)


def year(y: int, **wan_or_values: Any) -> AnnualFigures:
    """Annual figures with money given in 万元 (keys ending in ``_wan``) for readable examples."""
    values: dict[str, Any] = {}
    for key, value in wan_or_values.items():
        if key.endswith("_wan"):
            values[key[: -len("_wan")] + "_fen"] = None if value is None else wan(value)
        else:
            values[key] = value
    return AnnualFigures(year=y, **values)


def invention(ref: str, **changes: Any) -> IpHolding:
    base = IpHolding(
        ref=ref,
        kind=IpKind.INVENTION_PATENT,
        acquisition=AcquisitionMethod.SELF_DEVELOPED,
        related_to_main_product=True,
        granted_on=date(2020, 5, 1),
        high_value=False,
        rights_holder_rank=1,
        applied_with_economic_benefit=True,
    )
    return replace(base, **changes)


def software(ref: str, **changes: Any) -> IpHolding:
    base = IpHolding(
        ref=ref,
        kind=IpKind.SOFTWARE_COPYRIGHT,
        acquisition=AcquisitionMethod.SELF_DEVELOPED,
        related_to_main_product=True,
        granted_on=date(2021, 3, 1),
    )
    return replace(base, **changes)


def certification(kind: CertificationKind, start: date = date(2024, 1, 1), end: date = date(2026, 12, 31)) -> Certification:
    return Certification(kind=kind, valid_from=start, valid_until=end)


def score(y: int, value: str | int) -> ImportedScore:
    return ImportedScore(year=y, score=Decimal(str(value)), evidence="zjtx.miit.gov.cn")


def inputs(
    *annual: AnnualFigures,
    ip: tuple[IpHolding, ...] = (),
    honours: Honours | None = None,
    judgements: ExpertJudgements | None = None,
    scores: tuple[ImportedScore, ...] = (),
    **changes: Any,
) -> EvaluationInputs:
    return EvaluationInputs(
        profile=changes.pop("profile", profile()),
        annual=annual,
        ip_holdings=ip,
        honours=honours or Honours(),
        judgements=judgements or ExpertJudgements(),
        imported_scores=scores,
        **changes,
    )


def with_year(data: EvaluationInputs, y: int, **wan_or_values: Any) -> EvaluationInputs:
    """Replace some figures of one year (money in 万元 with ``_wan`` keys)."""
    edited = year(y, **wan_or_values)
    changes = {key: getattr(edited, key) for key in _given_fields(wan_or_values)}
    annual = tuple(replace(f, **changes) if f.year == y else f for f in data.annual)
    return replace(data, annual=annual)


def _given_fields(wan_or_values: dict[str, Any]) -> list[str]:
    return [key[: -len("_wan")] + "_fen" if key.endswith("_wan") else key for key in wan_or_values]


def codes_passed(result: Any) -> dict[str, bool | None]:
    return {c.code: c.passed for c in result.conditions}
