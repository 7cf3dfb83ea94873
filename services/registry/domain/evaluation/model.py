"""Vocabulary, options and result types of the evaluation engine."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from services.registry.domain.figures import CertificationKind, Tier
from services.registry.domain.plain import to_plain


class Confidence(StrEnum):
    """REFERENCE confidence tags, carried on every rule so that doubts stay visible in results."""

    VERIFIED = "V"
    CORROBORATED = "C"
    RECALLED = "M"
    UNCERTAIN = "U"


class Outcome(StrEnum):
    ELIGIBLE = "eligible"
    NOT_ELIGIBLE = "not_eligible"
    NEEDS_REVIEW = "needs_review"  # an input or a human judgement is missing and the outcome depends on it


class Purpose(StrEnum):
    APPLICATION = "application"  # 申报 / 认定
    RE_REVIEW = "re_review"  # 复核: 2026 texts relax some conditions (REFERENCE §1.3 cond. 6, §1.4 2026 cond. 2, 7)


class Boundary(StrEnum):
    """Which band a value exactly on an ambiguous band edge takes (REFERENCE §1.1 "Boundary semantics").

    HIGHER: the better band (more points, or the larger-figure band of a requirement table) — Guangdong's reading
    (粤工信融资函〔2026〕39号), the default until Zhejiang confirms. LOWER: the worse band.
    Edges the source text fixes itself ("含", "≥", "full 2 years") are not affected.
    """

    HIGHER = "higher"
    LOWER = "lower"


class HnteTwoYearGrowth(StrEnum):
    """HNTE growth score for a firm with only two years of operation (REFERENCE §3, [U])."""

    TWO_YEAR_RATIO = "two_year_ratio"  # one repo's reading: v2/v1 − 1 over the two years
    ZERO = "zero"  # score 0, like a firm with one year


DEFAULT_TECH_INNOVATIVE_STATUS = (
    CertificationKind.TECH_INNOVATIVE_SME,
    CertificationKind.INNOVATIVE_SME,
    CertificationKind.TECH_SME,
)


@dataclass(frozen=True)
class EvaluationOptions:
    """The uncertain choices REFERENCE asks to keep configurable, with their defaults."""

    boundary: Boundary = Boundary.HIGHER
    hnte_two_year_growth: HnteTwoYearGrowth = HnteTwoYearGrowth.TWO_YEAR_RATIO
    tech_innovative_status_kinds: tuple[CertificationKind, ...] = DEFAULT_TECH_INNOVATIVE_STATUS
    """Statuses accepted as "科技和创新型中小企业" for the 2026 SRDI prerequisite. Until the merged standard
    exists, Article 30 keeps the 创新型 and 科技型 evaluations in use (REFERENCE §0, [C]); whether either old
    status alone satisfies the 2026 prerequisite is not confirmed [U]."""
    srdi_2022_requires_innovative_status: bool = False
    """Whether the 2022 measures made a valid 创新型 status a prerequisite for 专精特新: not confirmed [U]
    (REFERENCE §1.2); off by default."""
    latest_year: int | None = None
    """The "上年度" whose figures are read; default: the year before the evaluation date."""

    def __post_init__(self) -> None:
        # Accept plain strings from callers and stored data: EvaluationOptions(boundary="lower").
        object.__setattr__(self, "boundary", Boundary(self.boundary))
        object.__setattr__(self, "hnte_two_year_growth", HnteTwoYearGrowth(self.hnte_two_year_growth))
        object.__setattr__(
            self, "tech_innovative_status_kinds", tuple(CertificationKind(k) for k in self.tech_innovative_status_kinds)
        )


class EvaluationInputError(ValueError):
    """The inputs contradict the rules (e.g. expert points outside the band the engine computed)."""


# --------------------------------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IndicatorResult:
    """One scored indicator: what was measured, which band it fell in, and the points it earned."""

    code: str
    label: str  # Chinese name first, as the official table words it
    category: str
    value: str | None  # the value used, formatted (e.g. "5.2%", "320万元"); None when unknown
    points: int | None  # exact points; None when only a range is known
    points_min: int
    points_max: int
    max_points: int
    band: str  # the band hit, in the source's words
    missing_inputs: tuple[str, ...] = ()
    confidence: Confidence = Confidence.VERIFIED
    doubt: str | None = None


@dataclass(frozen=True)
class CategoryResult:
    code: str
    label: str
    points_min: int
    points_max: int
    max_points: int
    minimum: int | None = None  # category floor required to pass (创新型: 创新能力 ≥ 20 …)


@dataclass(frozen=True)
class ConditionResult:
    """One condition checked. ``passed`` is None when it cannot be decided from the inputs."""

    code: str
    label: str
    passed: bool | None
    detail: str
    parent: str | None = None
    value: str | None = None
    manual_review: bool = False  # a human judgement is needed (absent expert input, or undefined measure)
    confidence: Confidence = Confidence.VERIFIED
    doubt: str | None = None


@dataclass(frozen=True)
class DirectRoute:
    """A direct-qualification condition (直通条件 / 直接确认) that was met, so its group passed without the score or
    the general conditions. The outcome still needs every other required condition (e.g. 小巨人 2022's 创新直通
    covers the 创新能力 group only)."""

    code: str
    label: str


@dataclass(frozen=True)
class EvaluationResult:
    rule_set_id: str
    tier: Tier
    evaluation_date: date
    purpose: Purpose
    outcome: Outcome
    total_score: int | None  # exact score where the rule set scores and every point is determined
    score_min: int | None  # bounds of the score when some points are unknown (missing input, expert range)
    score_max: int | None
    pass_score: int | None
    categories: tuple[CategoryResult, ...]
    indicators: tuple[IndicatorResult, ...]
    conditions: tuple[ConditionResult, ...]
    direct_route: DirectRoute | None
    missing_inputs: tuple[str, ...]
    """Every input the rule set read and did not get. When the outcome is ELIGIBLE or NOT_ELIGIBLE they did not
    matter to it; they are still listed so that an officer can complete the file."""
    manual_reviews: tuple[str, ...]  # codes of conditions waiting for a human judgement
    options: EvaluationOptions
    notes: tuple[str, ...] = ()
    doubts: tuple[str, ...] = field(default=())  # the rule set's [M]/[U] doubts, for whoever reads the result

    def to_dict(self) -> dict[str, Any]:
        return to_plain(self)
