"""Values every licensing aggregate is built from: the term of a licence, its territory, a share (a ratio as a
Decimal fraction) and the patent number. Pure: no I/O.

Refusals are the kit's domain errors (``shared.errors``): they carry no HTTP, and ``field`` names the input at
fault, so that the edge answers problem+json naming it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from shared.errors import InvalidInput
from shared.ids import InvalidIdentifier, PatentApplicationNumber, parse_patent_application_number

# --- the patent number -----------------------------------------------------------------------------------------------


def application_number(text: str, field: str = "application_number") -> PatentApplicationNumber:
    """The checked application number (ZC 0006-2003, REFERENCE §5.1). A wrong check character is refused with the
    expected one, in the message and as ``expected_check_character`` of the problem."""
    try:
        return parse_patent_application_number(text)
    except InvalidIdentifier as exc:
        expected = getattr(exc, "expected_check_character", None)
        raise InvalidInput(f"{text!r}: {exc.reason}", field=field, expected_check_character=expected) from None


# --- the term -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Term:
    """许可期限: from ``start`` to ``end``, both days included; ``end`` None runs to the patent's expiry."""

    start: date
    end: date | None = None

    def __post_init__(self) -> None:
        if self.end is not None and self.end < self.start:
            raise InvalidInput(f"the term ends ({self.end}) before it starts ({self.start})", field="term.end")

    def overlaps(self, other: Term) -> bool:
        return (self.end is None or other.start <= self.end) and (other.end is None or self.start <= other.end)

    def covers(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


# --- the territory ------------------------------------------------------------------------------------------------

NATIONWIDE = "CN"
_REGION = re.compile(r"[1-8][0-9]{5}")


def _covers(wider: str, narrower: str) -> bool:
    """Whether the GB/T 2260 region ``wider`` contains ``narrower``: a province (``33xxxx`` ending ``0000``) holds its
    cities and counties, a city (ending ``00``) its districts and counties; ``CN`` holds everything."""
    if wider == NATIONWIDE or wider == narrower:
        return True
    if narrower == NATIONWIDE:
        return False
    if wider.endswith("0000"):
        return narrower[:2] == wider[:2]
    if wider.endswith("00"):
        return narrower[:4] == wider[:4]
    return False


@dataclass(frozen=True)
class Territory:
    """许可地域: ``CN`` (the whole country) or GB/T 2260 region codes (a province, a city, a county). Two territories
    overlap when one region of either lies in (or is) one region of the other."""

    regions: tuple[str, ...]

    @classmethod
    def of(cls, regions: Iterable[str], field: str = "territory") -> Territory:
        cleaned: list[str] = []
        for index, region in enumerate(regions):
            code = region.strip().upper()
            if code != NATIONWIDE and not _REGION.fullmatch(code):
                raise InvalidInput(f"{region!r} is neither CN (the whole country) nor a 6-digit GB/T 2260 region code",
                                   field=f"{field}.{index}")
            if code not in cleaned:
                cleaned.append(code)
        if not cleaned:
            raise InvalidInput("a territory names at least one region (CN for the whole country)", field=field)
        if NATIONWIDE in cleaned:
            return cls((NATIONWIDE,))
        # A region inside another listed one adds nothing.
        kept = [c for c in cleaned if not any(o != c and _covers(o, c) for o in cleaned)]
        return cls(tuple(sorted(kept)))

    def overlaps(self, other: Territory) -> bool:
        return any(_covers(a, b) or _covers(b, a) for a in self.regions for b in other.regions)


# --- shares -------------------------------------------------------------------------------------------------------

ONE = Decimal(1)


def share(value: Decimal | str | int, field: str, *, allow_zero: bool = False) -> Decimal:
    """A share as a fraction (0.35 = 35%): above zero (or zero when allowed) and at most 1 (100%)."""
    number = Decimal(str(value))
    if not number.is_finite():
        raise InvalidInput("a share must be a number", field=field)
    if number > ONE:
        raise InvalidInput(f"a share of {percent(number)} is above 100%", field=field)
    if number < 0 or (number == 0 and not allow_zero):
        raise InvalidInput(f"a share must be above 0 (got {percent(number)})", field=field)
    return number


def fraction_text(value: Decimal) -> str:
    """A fraction as events and schedules write it: plain, without trailing zeros ("0.03", whatever the column's
    scale)."""
    return f"{value.normalize():f}"


def percent(value: Decimal) -> str:
    return f"{(value * 100).normalize():f}%"


def optional_line(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value or None


def required_line(value: str | None, field: str, what: str) -> str:
    cleaned = optional_line(value)
    if cleaned is None:
        raise InvalidInput(f"{what} is required", field=field)
    return cleaned
