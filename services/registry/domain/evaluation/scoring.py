"""Scored indicators: a measure, a scale that turns its value into points, and category totals.

Points are ``PointRange``s throughout, so an unknown input widens the total instead of counting as zero
(REFERENCE preamble), and HNTE's expert bands (7–8 …) stay ranges until an expert pins them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from services.registry.domain.evaluation.bands import BandTable, PointRange, pts
from services.registry.domain.evaluation.context import EvaluationContext, Measured, format_measured
from services.registry.domain.evaluation.ip import IpTally
from services.registry.domain.evaluation.measures import InputField, Measure
from services.registry.domain.evaluation.model import (
    CategoryResult,
    Confidence,
    EvaluationInputError,
    IndicatorResult,
)

# ------------------------------------------------------------------------------------------------ scales


class Scale:
    def score(self, measured: Measured, ctx: EvaluationContext) -> tuple[PointRange, str]:  # pragma: no cover
        raise NotImplementedError

    @property
    def full_range(self) -> PointRange:  # pragma: no cover - interface
        raise NotImplementedError


@dataclass(frozen=True)
class BandScale(Scale):
    table: BandTable[PointRange]

    def score(self, measured: Measured, ctx: EvaluationContext) -> tuple[PointRange, str]:
        boundary = ctx.options.boundary
        if measured.uncertain:
            low_band = self.table.lookup(measured.value, boundary)
            if measured.upper is None:
                return low_band.award.hull(self.full_range), f"{low_band.label} or better"
            high_band = self.table.lookup(measured.upper, boundary)
            return low_band.award.hull(high_band.award), f"{low_band.label} … {high_band.label}"
        band = self.table.lookup(measured.value, boundary)
        return band.award, band.label

    @property
    def full_range(self) -> PointRange:
        awards = [band.award for band in self.table.bands]
        return PointRange(min(a.low for a in awards), max(a.high for a in awards))


@dataclass(frozen=True)
class CategoryScale(Scale):
    """Points per categorical value (an enum's value, a bool, a level name)."""

    points: tuple[tuple[Any, PointRange, str], ...]  # (value, points, label as the source words it)

    def score(self, measured: Measured, ctx: EvaluationContext) -> tuple[PointRange, str]:
        key = getattr(measured.value, "value", measured.value)
        for value, award, label in self.points:
            if value == key:
                return award, label
        raise EvaluationInputError(f"no points defined for {measured.value!r}")

    @property
    def full_range(self) -> PointRange:
        return PointRange(min(a.low for _, a, _ in self.points), max(a.high for _, a, _ in self.points))


@dataclass(frozen=True)
class IpRung:
    tally_key: str  # an IpTally field
    at_least: int
    award: PointRange
    label: str


@dataclass(frozen=True)
class IpLadderScale(Scale):
    """"A Ⅰ类高价值 ≥1: 20 · B 自主研发Ⅰ类 ≥1: 15 · …": the first rung the tally reaches. Rungs descend in points,
    so the certain counts give the floor and the possible counts the ceiling."""

    rungs: tuple[IpRung, ...]
    none_label: str = "无"

    def __post_init__(self) -> None:
        lows = [rung.award.low for rung in self.rungs]
        if lows != sorted(lows, reverse=True):
            raise ValueError("IP ladder rungs must be listed from most to fewest points")

    def _rung(self, counts: IpTally, attribute: str) -> tuple[PointRange, str]:
        for rung in self.rungs:
            if getattr(counts.get(rung.tally_key), attribute) >= rung.at_least:
                return rung.award, rung.label
        return pts(0), self.none_label

    def score(self, measured: Measured, ctx: EvaluationContext) -> tuple[PointRange, str]:
        counts: IpTally = measured.value
        low, low_label = self._rung(counts, "certain")
        high, high_label = self._rung(counts, "possible")
        if low == high:
            return low, low_label
        return low.hull(high), f"{low_label} … {high_label}"

    @property
    def full_range(self) -> PointRange:
        return PointRange(0, max(rung.award.high for rung in self.rungs))


@dataclass(frozen=True)
class ExpertScale(Scale):
    """Points only an expert can give (0–max); the engine reports the whole range until they are supplied."""

    max_points: int

    def score(self, measured: Measured, ctx: EvaluationContext) -> tuple[PointRange, str]:
        return self.full_range, "expert-scored"

    @property
    def full_range(self) -> PointRange:
        return PointRange(0, self.max_points)


@dataclass(frozen=True)
class DirectPointsScale(Scale):
    """The input already is the points (特色化: an officer scores the province's own indicators, 0–max)."""

    max_points: int

    def score(self, measured: Measured, ctx: EvaluationContext) -> tuple[PointRange, str]:
        points = measured.value
        if isinstance(points, bool) or not isinstance(points, int) or not 0 <= points <= self.max_points:
            raise EvaluationInputError(f"points must be an integer in 0–{self.max_points}, got {points!r}")
        return pts(points), "scored by officer"

    @property
    def full_range(self) -> PointRange:
        return PointRange(0, self.max_points)


# ------------------------------------------------------------------------------------------------ indicators


@dataclass(frozen=True)
class Alternative:
    """One way of measuring an indicator. Most indicators have one; some let the better of several count
    (专精特新 2022 研发投入: amount OR ratio) or let the firm choose (科技型 研发投入 option 1 or 2)."""

    key: str
    label: str
    measure: Measure
    scale: Scale


@dataclass(frozen=True)
class Indicator:
    code: str
    label: str
    category: str
    max_points: int
    alternatives: tuple[Alternative, ...]
    chosen_by: str | None = None  # input path holding the firm's declared alternative key; None → best counts
    expert_points: bool = False  # an expert may pin exact points inside the computed band (judgements.hnte_points)
    confidence: Confidence = Confidence.VERIFIED
    doubt: str | None = None

    def __post_init__(self) -> None:
        highest = max(alternative.scale.full_range.high for alternative in self.alternatives)
        if highest != self.max_points:
            raise ValueError(f"{self.code}: scale tops out at {highest}, not {self.max_points}")


def indicator(
    code: str,
    label: str,
    category: str,
    max_points: int,
    measure: Measure,
    scale: Scale,
    **kwargs: Any,
) -> Indicator:
    """A single-measure indicator (the common case)."""
    return Indicator(code, label, category, max_points, (Alternative(code, label, measure, scale),), **kwargs)


@dataclass(frozen=True)
class Category:
    code: str
    label: str
    max_points: int
    cap: int | None = None  # HNTE 知识产权 is capped at 30 including its bonus item
    minimum: int | None = None  # 创新型: 创新能力 ≥ 20, 成长性 ≥ 15, 专业化 ≥ 15


@dataclass(frozen=True)
class Scoring:
    categories: tuple[Category, ...]
    indicators: tuple[Indicator, ...]
    pass_score: int
    pass_label: str

    def __post_init__(self) -> None:
        codes = {category.code for category in self.categories}
        for ind in self.indicators:
            if ind.category not in codes:
                raise ValueError(f"{ind.code}: unknown category {ind.category}")
        for category in self.categories:
            total = sum(ind.max_points for ind in self.indicators if ind.category == category.code)
            if min(total, category.cap or total) != category.max_points:
                raise ValueError(f"category {category.code}: indicators add to {total}, not {category.max_points}")

    @property
    def max_points(self) -> int:
        return sum(category.max_points for category in self.categories)


@dataclass(frozen=True)
class ScoreSheet:
    indicators: tuple[IndicatorResult, ...]
    categories: tuple[CategoryResult, ...]
    total: PointRange
    pass_score: int
    pass_label: str
    # Indicator codes a human must judge: their measure was undefined, or scored for review (Measured.review).
    for_review: tuple[str, ...]

    def indicator(self, code: str) -> IndicatorResult:
        return next(i for i in self.indicators if i.code == code)


def score_sheet(scoring: Scoring, ctx: EvaluationContext) -> ScoreSheet:
    expert_codes = {ind.code for ind in scoring.indicators if ind.expert_points}
    unknown_codes = set(ctx.inputs.judgements.hnte_points) - expert_codes
    if expert_codes and unknown_codes:  # a mistyped key would otherwise be ignored silently
        raise EvaluationInputError(f"expert points for unknown items {sorted(unknown_codes)}; known: {sorted(expert_codes)}")
    results: list[IndicatorResult] = []
    for_review: list[str] = []
    for ind in scoring.indicators:
        result, needs_review = _score_indicator(ind, ctx)
        results.append(result)
        if needs_review:
            for_review.append(ind.code)
    categories = []
    total = PointRange(0, 0)
    for category in scoring.categories:
        points = PointRange(0, 0)
        for result in results:
            if result.category == category.code:
                points = points + PointRange(result.points_min, result.points_max)
        points = points.capped(category.cap)
        total = total + points
        categories.append(
            CategoryResult(category.code, category.label, points.low, points.high, category.max_points, category.minimum)
        )
    return ScoreSheet(tuple(results), tuple(categories), total, scoring.pass_score, scoring.pass_label, tuple(for_review))


def _score_indicator(ind: Indicator, ctx: EvaluationContext) -> tuple[IndicatorResult, bool]:
    alternatives = ind.alternatives
    notes: list[str] = []
    if ind.chosen_by is not None:
        choice = InputField(ind.chosen_by).measure(ctx)
        if choice.known:
            key = getattr(choice.value, "value", choice.value)
            alternatives = tuple(a for a in alternatives if a.key == key)
            notes.append(f"declared option: {key}")
        elif len(alternatives) > 1:
            notes.append("no option declared: the better-scoring option counts")

    scored = []
    missing: list[str] = []
    for_review = False
    reviews: list[str] = []
    for alternative in alternatives:
        measured = alternative.measure.measure(ctx)
        missing.extend(name for name in measured.missing if name not in missing)
        if measured.value is None:
            if measured.undefined:
                for_review = True
                band = f"undefined: {measured.undefined}"
            else:
                band = "unknown: input missing"
            scored.append((alternative, measured, alternative.scale.full_range, band))
        else:
            points, band = alternative.scale.score(measured, ctx)
            if measured.review:
                for_review = True
                reviews.append(measured.review)
                band = f"{band}, for review: {measured.review}"
            scored.append((alternative, measured, points, band))

    # Best of the alternatives: the firm gets whichever scores more, so the range is [max of lows, max of highs].
    low = max(points.low for _, _, points, _ in scored)
    high = max(points.high for _, _, points, _ in scored)
    best = max(scored, key=lambda item: (item[2].low, item[2].high))
    alternative, _, _, band = best
    if len(scored) > 1:  # show every option's value, and which one the points come from
        value = "; ".join(f"{alt.label} {format_measured(measured, alt.measure.unit) or '?'}" for alt, measured, _, _ in scored)
        band = f"{alternative.label}: {band}"
    else:
        value = format_measured(best[1], alternative.measure.unit)

    if ind.expert_points:
        pinned = ctx.inputs.judgements.hnte_points.get(ind.code)
        # A value scored for review is the panel's to settle: its points may lie anywhere on the indicator's scale.
        allowed = PointRange(0, ind.max_points) if reviews else PointRange(low, high)
        if pinned is not None:
            if pinned not in allowed:
                raise EvaluationInputError(
                    f"{ind.code}: expert points {pinned} lie outside the computed band {allowed}"
                )
            low = high = pinned
            notes.append("points pinned by the expert panel")
        elif low != high:
            missing.append(f"judgements.hnte_points.{ind.code}")

    if notes:
        band = f"{band} ({'; '.join(notes)})"
    result = IndicatorResult(
        code=ind.code,
        label=ind.label,
        category=ind.category,
        value=value,
        points=low if low == high else None,
        points_min=low,
        points_max=high,
        max_points=ind.max_points,
        band=band,
        missing_inputs=tuple(missing),
        confidence=ind.confidence,
        # The doubt this firm's figures raised comes first, then the rule set's standing doubt about the indicator.
        doubt="; ".join([*reviews, *([ind.doubt] if ind.doubt else [])]) or None,
    )
    return result, for_review
