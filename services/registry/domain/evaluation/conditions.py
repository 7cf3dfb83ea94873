"""Conditions: a tree of all-of / any-of nodes over checks, interpreted with three-valued logic.

``True`` passed, ``False`` failed, ``None`` undecided (an input or a human judgement is missing). All-of fails
as soon as one child fails, whatever the unknowns; any-of passes as soon as one child passes. That is what lets
the engine say NOT_ELIGIBLE or ELIGIBLE despite gaps when the gaps cannot matter, and NEEDS_REVIEW otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from services.registry.domain.evaluation.bands import BandTable, PointRange
from services.registry.domain.evaluation.context import EvaluationContext, Measured, Unit, format_measured, format_value
from services.registry.domain.evaluation.measures import InputField, Measure
from services.registry.domain.evaluation.model import ConditionResult, Confidence, DirectRoute, Purpose
from services.registry.domain.evaluation.scoring import ScoreSheet
from services.registry.domain.evaluation.tri import Tri, tri_all, tri_any

# ------------------------------------------------------------------------------------------------ tests


class Test:
    def check(self, measured: Measured) -> Tri:  # pragma: no cover - interface
        raise NotImplementedError

    def describe(self, unit: Unit) -> str:  # pragma: no cover - interface
        raise NotImplementedError


@dataclass(frozen=True)
class AtLeast(Test):
    limit: Decimal | int

    def check(self, measured: Measured) -> Tri:
        if measured.uncertain:
            if measured.value is not None and measured.value >= self.limit:
                return True
            if measured.upper is not None and measured.upper < self.limit:
                return False
            return None
        return None if measured.value is None else measured.value >= self.limit

    def describe(self, unit: Unit) -> str:
        return f"≥ {format_value(self.limit, unit)}"


@dataclass(frozen=True)
class AtMost(Test):
    limit: Decimal | int

    def check(self, measured: Measured) -> Tri:
        if measured.uncertain:
            if measured.upper is not None and measured.upper <= self.limit:
                return True
            if measured.value is not None and measured.value > self.limit:
                return False
            return None
        return None if measured.value is None else measured.value <= self.limit

    def describe(self, unit: Unit) -> str:
        return f"≤ {format_value(self.limit, unit)}"


@dataclass(frozen=True)
class Is(Test):
    expected: Any

    def check(self, measured: Measured) -> Tri:
        return None if measured.value is None or measured.uncertain else measured.value == self.expected

    def describe(self, unit: Unit) -> str:
        return f"= {format_value(self.expected, unit)}"


@dataclass(frozen=True)
class Excludes(Test):
    """The measured set of possibilities must not contain ``member`` (size class: not large)."""

    member: Any

    def check(self, measured: Measured) -> Tri:
        possible = measured.value
        if possible is None:
            return None
        if self.member not in possible:
            return True
        return False if possible == frozenset({self.member}) else None

    def describe(self, unit: Unit) -> str:
        return f"not {format_value(self.member, unit)}"


# ------------------------------------------------------------------------------------------------ nodes


@dataclass(frozen=True)
class Node:
    code: str
    label: str
    confidence: Confidence = field(default=Confidence.VERIFIED, kw_only=True)
    doubt: str | None = field(default=None, kw_only=True)
    not_assessed_for: tuple[Purpose, ...] = field(default=(), kw_only=True)

    def evaluate(self, walker: Walker, parent: str | None) -> Tri:  # pragma: no cover - interface
        raise NotImplementedError


@dataclass(frozen=True)
class Check(Node):
    measure: Measure
    test: Test
    manual: bool = field(default=False, kw_only=True)  # the input is a human judgement

    def evaluate(self, walker: Walker, parent: str | None) -> Tri:
        measured = self.measure.measure(walker.ctx)
        unit = self.measure.unit
        value = format_measured(measured, unit)
        if measured.undefined:
            passed, detail = None, f"undefined: {measured.undefined}; needs review"
        else:
            passed = self.test.check(measured)
            shown = value if value is not None else ("awaiting judgement" if self.manual else "unknown")
            detail = f"{shown} (required {self.test.describe(unit)})"
            if measured.detail:
                detail += f"; {measured.detail}"
            if measured.review:
                detail += f"; for review: {measured.review}"
        manual = (passed is None and (self.manual or measured.undefined is not None)) or measured.review is not None
        walker.record(self, parent, passed, detail, value=value, manual=manual, missing=measured.missing)
        return passed


def judgement(code: str, label: str, field_name: str, **meta: Any) -> Check:
    """A condition that only an officer or expert can decide: absent → undecided → NEEDS_REVIEW."""
    return Check(code, label, InputField(f"judgements.{field_name}"), Is(True), manual=True, **meta)


@dataclass(frozen=True)
class AllOf(Node):
    children: tuple[Node, ...]

    def evaluate(self, walker: Walker, parent: str | None) -> Tri:
        slot = walker.reserve()
        verdicts = [walker.visit(child, self.code) for child in self.children]
        passed = tri_all(verdicts)
        failed = [c.code for c, v in zip(self.children, verdicts, strict=True) if v is False]
        open_ = [c.code for c, v in zip(self.children, verdicts, strict=True) if v is None]
        if passed:
            detail = f"all {len(self.children)} met"
        elif passed is False:
            detail = f"not met: {', '.join(failed)}"
        else:
            detail = f"undecided: {', '.join(open_)}"
        walker.fill(slot, self, parent, passed, detail)
        return passed


@dataclass(frozen=True)
class AnyOf(Node):
    children: tuple[Node, ...]
    direct_route: bool = field(default=False, kw_only=True)  # its children are direct-qualification routes

    def evaluate(self, walker: Walker, parent: str | None) -> Tri:
        slot = walker.reserve()
        verdicts = [walker.visit(child, self.code) for child in self.children]
        passed = tri_any(verdicts)
        winners = [c for c, v in zip(self.children, verdicts, strict=True) if v]
        if passed:
            detail = f"met by {', '.join(c.code for c in winners)}"
            if self.direct_route:
                walker.direct_routes.append(DirectRoute(winners[0].code, winners[0].label))
        elif passed is False:
            detail = f"none of {len(self.children)} met"
        else:
            detail = "undecided: none met, some cannot be checked"
        walker.fill(slot, self, parent, passed, detail)
        return passed


@dataclass(frozen=True)
class ByBand(Node):
    """A requirement that depends on a band of another figure (小巨人 2022 R&D intensity by revenue; HNTE R&D ratio
    by revenue). ``table`` holds the requirement node of each band."""

    measure: Measure
    table: BandTable[Node]

    def evaluate(self, walker: Walker, parent: str | None) -> Tri:
        measured = self.measure.measure(walker.ctx)
        value = format_value(measured.value, self.measure.unit)
        if measured.value is None or measured.uncertain:
            walker.record(self, parent, None, "band unknown: input missing", value=value, missing=measured.missing)
            return None
        band = self.table.lookup(measured.value, walker.ctx.options.boundary)
        slot = walker.reserve()
        passed = walker.visit(band.award, self.code)
        walker.fill(slot, self, parent, passed, f"{value} falls in band {band.label}", value=value)
        return passed


@dataclass(frozen=True)
class ScorePasses(Node):
    """The rule set's score reaches its pass mark, and every category its minimum."""

    def evaluate(self, walker: Walker, parent: str | None) -> Tri:
        sheet = walker.sheet
        if sheet is None:
            raise ValueError(f"{self.code}: the rule set has no scoring")
        slot = walker.reserve()
        verdicts = [_at_least(walker, f"{self.code}.total", sheet.pass_label, sheet.total.low, sheet.total.high,
                              sheet.pass_score, self.code)]
        for category in sheet.categories:
            if category.minimum is not None:
                verdicts.append(
                    _at_least(walker, f"{self.code}.{category.code}", f"{category.label} ≥ {category.minimum}",
                              category.points_min, category.points_max, category.minimum, self.code)
                )
        passed = tri_all(verdicts)
        shown = str(sheet.total)
        walker.fill(slot, self, parent, passed, f"score {shown} (pass mark {sheet.pass_score})", value=shown)
        return passed


def _at_least(walker: Walker, code: str, label: str, low: int, high: int, mark: int, parent: str) -> Tri:
    passed: Tri = True if low >= mark else (False if high < mark else None)
    shown = str(PointRange(low, high))
    detail = f"{shown} (required ≥ {mark})"
    if passed is None:
        detail += "; depends on points not yet known"
    walker.record_raw(ConditionResult(code, label, passed, detail, parent=parent, value=shown))
    return passed


@dataclass(frozen=True)
class IndicatorPoints(Node):
    """A test on one indicator's points (科技型: 科技人员指标得分 ≠ 0)."""

    indicator_code: str
    test: Test

    def evaluate(self, walker: Walker, parent: str | None) -> Tri:
        result = walker.sheet.indicator(self.indicator_code)
        measured = Measured(result.points_min, uncertain=result.points_min != result.points_max, upper=result.points_max)
        passed = self.test.check(measured)
        shown = str(PointRange(result.points_min, result.points_max))
        walker.record(self, parent, passed, f"{shown} points (required {self.test.describe(Unit.SCORE)})", value=shown)
        return passed


@dataclass(frozen=True)
class WhenOption(Node):
    """A requirement whose very existence is in doubt [U]: checked only when the named ``EvaluationOptions`` flag
    is on, otherwise recorded as "not required" so that the doubt stays visible in every result."""

    option: str
    child: Node

    def evaluate(self, walker: Walker, parent: str | None) -> Tri:
        if not getattr(walker.ctx.options, self.option):
            walker.record(self, parent, True, f"not required (option {self.option} is off)")
            return True
        slot = walker.reserve()
        passed = walker.visit(self.child, self.code)
        walker.fill(slot, self, parent, passed, f"required (option {self.option} is on)")
        return passed


# ------------------------------------------------------------------------------------------------ the walker


class Walker:
    """Visits a condition tree once, collecting a flat, parent-linked list of results for explanation."""

    def __init__(self, ctx: EvaluationContext, sheet: ScoreSheet | None) -> None:
        self.ctx = ctx
        self.sheet = sheet
        self.results: list[ConditionResult | None] = []
        self.missing: list[str] = []
        self.manual: list[str] = []
        self.direct_routes: list[DirectRoute] = []

    def visit(self, node: Node, parent: str | None) -> Tri:
        if self.ctx.purpose in node.not_assessed_for:
            self.record(node, parent, True, f"not assessed for {self.ctx.purpose.value}")
            return True
        return node.evaluate(self, parent)

    def reserve(self) -> int:
        """Keep a parent's place ahead of its children in the flat list."""
        self.results.append(None)
        return len(self.results) - 1

    def fill(self, slot: int, node: Node, parent: str | None, passed: Tri, detail: str, value: str | None = None) -> None:
        self.results[slot] = self._result(node, parent, passed, detail, value, False)

    def record(
        self,
        node: Node,
        parent: str | None,
        passed: Tri,
        detail: str,
        *,
        value: str | None = None,
        manual: bool = False,
        missing: tuple[str, ...] = (),
    ) -> None:
        self.results.append(self._result(node, parent, passed, detail, value, manual))
        self.missing.extend(name for name in missing if name not in self.missing)
        if manual and node.code not in self.manual:
            self.manual.append(node.code)

    def record_raw(self, result: ConditionResult) -> None:
        self.results.append(result)

    @staticmethod
    def _result(node: Node, parent: str | None, passed: Tri, detail: str, value: str | None, manual: bool) -> ConditionResult:
        return ConditionResult(
            code=node.code,
            label=node.label,
            passed=passed,
            detail=detail,
            parent=parent,
            value=value,
            manual_review=manual,
            confidence=node.confidence,
            doubt=node.doubt,
        )
