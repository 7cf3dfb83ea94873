"""What a measure sees (the context) and what it returns (a ``Measured`` value)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import Enum, StrEnum
from typing import Any

from services.registry.domain.evaluation.model import EvaluationOptions, Purpose
from services.registry.domain.figures import FEN_PER_WAN, EvaluationInputs


class Unit(StrEnum):
    FEN = "fen"
    RATIO = "ratio"
    PEOPLE = "people"
    YEARS = "years"
    DAYS = "days"
    COUNT = "count"
    FLAG = "flag"
    LEVEL = "level"
    SCORE = "score"
    TEXT = "text"


@dataclass(frozen=True)
class EvaluationContext:
    inputs: EvaluationInputs
    evaluation_date: date
    options: EvaluationOptions
    purpose: Purpose

    @property
    def latest_year(self) -> int:
        """上年度: the last completed financial year, unless the caller fixes another."""
        return self.options.latest_year or self.evaluation_date.year - 1

    def year(self, offset: int) -> int:
        """``offset`` years before the latest year (0 = 上年度, 1 = 上上年度 …)."""
        return self.latest_year - offset

    def annual_value(self, field: str, year: int) -> tuple[Any, str | None]:
        """The figure, or None and the missing input's name."""
        figures = self.inputs.figures_for(year)
        value = None if figures is None else getattr(figures, field)
        return value, (None if value is not None else annual_input(year, field))


def annual_input(year: int, field: str) -> str:
    return f"annual[{year}].{field}"


@dataclass(frozen=True)
class Measured:
    """A measured value.

    * exact: ``value`` set.
    * interval (``uncertain``): the true value lies in [value, upper]; ``upper`` None means unbounded. Used where
      some items of a count are undecided (IP whose class depends on a missing fact).
    * unknown: ``value`` None; ``missing`` names the absent inputs.
    * undefined: the inputs are present but the measure has no value (growth over a zero base): ``undefined``
      says why; a human must judge.
    * for review: ``value`` is what the rule set's reading gives where the source is silent or its formula means
      nothing (HNTE growth over a negative year scores 0), and ``review`` says why a human must confirm it: the
      evaluation lists it among its manual reviews.
    """

    value: Any = None
    missing: tuple[str, ...] = ()
    uncertain: bool = False
    upper: Any = None
    undefined: str | None = None
    detail: str = ""
    review: str | None = None

    @property
    def known(self) -> bool:
        return self.value is not None and not self.uncertain


def unknown(*missing: str, detail: str = "") -> Measured:
    return Measured(None, missing=tuple(dict.fromkeys(missing)), detail=detail)


def format_value(value: Any, unit: Unit) -> str | None:
    """Human-readable value for explanations: money in 万元, ratios in per cent."""
    if value is None:
        return None
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, frozenset | set | tuple | list):
        return ", ".join(sorted(format_value(item, unit) or "" for item in value))
    if unit is Unit.FEN:
        return f"{_plain_decimal(Decimal(value) / FEN_PER_WAN)}万元"
    if unit is Unit.RATIO:
        return f"{_plain_decimal((Decimal(value) * 100).quantize(Decimal('0.01')))}%"
    if unit in _SUFFIX:
        return f"{_plain_decimal(Decimal(value))}{_SUFFIX[unit]}"
    if isinstance(value, Decimal):
        return _plain_decimal(value)
    return str(value)


def format_measured(measured: Measured, unit: Unit) -> str | None:
    """``format_value`` of a measured value; an interval shows as "value…upper" ("?" when unbounded)."""
    value = format_value(measured.value, unit)
    if measured.uncertain:
        value = f"{value}…{format_value(measured.upper, unit) or '?'}"
    return value


_SUFFIX = {Unit.PEOPLE: "人", Unit.YEARS: "年", Unit.DAYS: "天"}


def _plain_decimal(number: Decimal) -> str:
    return format(number.normalize(), "f")
