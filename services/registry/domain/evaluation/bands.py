"""Band tables: the policy texts' "≥5%: 20 · 3–5%: 15 · …" as data, with explicit edge semantics.

A table is a list of bands with ascending floors. What happens to a value exactly on a floor is the one thing the
texts leave open (REFERENCE §1.1 "Boundary semantics"): each band either fixes it (``floor_inclusive`` True or
False, when the text says "含", "≥", "≤", ">"…) or leaves it to ``EvaluationOptions.boundary``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Generic, TypeVar

from services.registry.domain.evaluation.model import Boundary

A = TypeVar("A")


class Side(StrEnum):
    ABOVE = "above"
    BELOW = "below"


@dataclass(frozen=True)
class PointRange:
    """Points known to lie in [low, high]. Exact points are a range of width zero.

    Ranges carry uncertainty through the sum: the policy bands of HNTE are ranges (7–8 …) that an expert pins,
    and a missing input spans its indicator's whole scale.
    """

    low: int
    high: int

    def __post_init__(self) -> None:
        if self.low > self.high:
            raise ValueError(f"empty point range {self.low}–{self.high}")

    @property
    def exact(self) -> int | None:
        return self.low if self.low == self.high else None

    def __add__(self, other: PointRange) -> PointRange:
        return PointRange(self.low + other.low, self.high + other.high)

    def capped(self, cap: int | None) -> PointRange:
        return self if cap is None else PointRange(min(self.low, cap), min(self.high, cap))

    def hull(self, other: PointRange) -> PointRange:
        return PointRange(min(self.low, other.low), max(self.high, other.high))

    def __contains__(self, points: object) -> bool:
        return isinstance(points, int) and self.low <= points <= self.high

    def __str__(self) -> str:
        return str(self.low) if self.exact is not None else f"{self.low}–{self.high}"


def pts(low: int, high: int | None = None) -> PointRange:
    return PointRange(low, low if high is None else high)


@dataclass(frozen=True)
class Band(Generic[A]):
    floor: Decimal | None  # None: the bottom band, open below
    award: A  # points (PointRange) or, in requirement tables, the condition that applies in this band
    label: str  # the band as the source words it, e.g. "3%–5%"
    floor_inclusive: bool | None = None  # None: the text is ambiguous; EvaluationOptions.boundary decides


@dataclass(frozen=True)
class BandTable(Generic[A]):
    bands: tuple[Band[A], ...]
    higher_side: Side = Side.ABOVE
    """Which neighbour is the "higher band" at an ambiguous edge: ABOVE when more is better (R&D ratio) or for
    requirement tables keyed by size; BELOW when less is better (资产负债率), where the band under the edge
    awards more points."""

    def __post_init__(self) -> None:
        if not self.bands or self.bands[0].floor is not None:
            raise ValueError("a band table starts with an open bottom band (floor None)")
        floors = [band.floor for band in self.bands[1:]]
        if any(f is None for f in floors) or floors != sorted(floors) or len(set(floors)) != len(floors):
            raise ValueError("band floors must be strictly ascending")

    def takes_floor(self, band: Band[A], boundary: Boundary) -> bool:
        """Does a value exactly on ``band.floor`` belong to ``band`` (True) or to the band below (False)?"""
        if band.floor_inclusive is not None:
            return band.floor_inclusive
        upper_is_higher = self.higher_side is Side.ABOVE
        return upper_is_higher if boundary is Boundary.HIGHER else not upper_is_higher

    def lookup(self, value: Decimal | int, boundary: Boundary) -> Band[A]:
        for band in reversed(self.bands):
            if band.floor is None or value > band.floor or (value == band.floor and self.takes_floor(band, boundary)):
                return band
        raise AssertionError("unreachable: the bottom band is open")

def at_least_table(
    *steps: tuple[Decimal | int | str, PointRange | int, str],
    below: tuple[PointRange | int, str],
    inclusive: bool | None = None,
    percent: bool = False,
) -> BandTable[PointRange]:
    """Build a "more is better" table written top-down as the texts do:
    ``at_least_table(("5", 20, "5%以上"), ("3", 15, "3%–5%"), below=(0, "1%以下"), percent=True)``.
    ``inclusive`` fixes every edge (True for "含"); None leaves them to the boundary option. With ``percent``
    the figures are per cent and stored as fractions."""
    bands = [Band(None, _points(below[0]), below[1])]
    for floor, award, label in reversed(steps):
        bands.append(Band(_number(floor, percent), _points(award), label, inclusive))
    return BandTable(tuple(bands), Side.ABOVE)


def at_most_table(
    *steps: tuple[Decimal | int | str, PointRange | int, str],
    above: tuple[PointRange | int, str],
    inclusive: bool | None = None,
    percent: bool = False,
) -> BandTable[PointRange]:
    """Build a "less is better" table written top-down by points, e.g. 资产负债率
    ``at_most_table(("55", 10, "55%以下"), ("75", 5, "55%–75%"), above=(0, "75%以上"), percent=True)``: each step's figure is
    its band's ceiling. ``inclusive`` True means a value on a ceiling stays in the better band below it."""
    ceilings = [_number(ceiling, percent) for ceiling, _, _ in steps]
    awards = [(_points(award), label) for _, award, label in steps] + [(_points(above[0]), above[1])]
    floor_inclusive = None if inclusive is None else not inclusive
    bands = [Band(None, awards[0][0], awards[0][1])]
    for ceiling, (award, label) in zip(ceilings, awards[1:], strict=True):
        bands.append(Band(ceiling, award, label, floor_inclusive))
    return BandTable(tuple(bands), Side.BELOW)


def _number(figure: Decimal | int | str, percent: bool) -> Decimal:
    number = Decimal(str(figure))
    return number / 100 if percent else number


def _points(award: PointRange | int) -> PointRange:
    return award if isinstance(award, PointRange) else pts(award)
