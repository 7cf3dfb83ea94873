"""The types of what callers send. Request schemas and query parameters use these instead of bare ``int``, ``str``
and ``date``, so that a value the database or the calendar cannot hold is refused at the edge (422 naming the
field) instead of failing in the driver (a 500).

* Integers are bounded by the column that keeps them (``Int32`` for INTEGER, ``Int64`` for BIGINT, ``Fen`` for
  money) and never taken from JSON ``true``/``false``: pydantic's lax mode reads ``true`` as 1, which would turn a
  client's mistake into a capacity of one. Query strings still parse ``"5"``.
* Dates lie within ``DATE_MIN``..``DATE_MAX``: the rules add years to them (a certificate's validity, a firm's
  age), and a date near year 9999 would overflow Python's calendar.
* Text never holds control characters (PostgreSQL refuses NUL outright; the others are invisible junk from a
  broken export); ``Text`` keeps tabs and line breaks for what is written in paragraphs. ``Line`` and ``Name``
  also refuse the bidirectional controls that reorder how text is displayed (a name that reads differently from
  what it is), and a ``Name`` must show at least one visible character. Names that must be unique are compared by
  :func:`name_key`.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BeforeValidator, Field

from shared.ids import validate_uscc

INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1

# A bound far above any firm's figures (10^17 fen = 1 万亿元 × 100 000): catches unit mix-ups, fits BIGINT.
FEN_LIMIT = 10**17

YEAR_MIN, YEAR_MAX = 1900, 2100
DATE_MIN, DATE_MAX = date(YEAR_MIN, 1, 1), date(YEAR_MAX, 12, 31)


def _not_a_boolean(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("must be a number, not true or false")
    return value


# JSON true/false is refused instead of read as 1/0.
_NOT_BOOLEAN = BeforeValidator(_not_a_boolean)


def integer_between(low: int, high: int, **field: Any) -> Any:
    """An integer type from ``low`` to ``high`` (within BIGINT), never taken from JSON true/false. Give a field's
    bounds here rather than in a ``Field`` beside the type: bounds placed after the check on booleans still hold, but
    the OpenAPI document would no longer show them as minimum and maximum."""
    if not INT64_MIN <= low <= high <= INT64_MAX:
        raise ValueError(f"{low}..{high} is not within a 64-bit integer")
    return Annotated[int, Field(ge=low, le=high, **field), _NOT_BOOLEAN]


def number_between(low: float, high: float, **field: Any) -> Any:
    """A float type from ``low`` to ``high``, never taken from JSON true/false (bounds here, as for integers)."""
    return Annotated[float, Field(ge=low, le=high, **field), _NOT_BOOLEAN]


Int32 = integer_between(INT32_MIN, INT32_MAX)
Int64 = integer_between(INT64_MIN, INT64_MAX)


def _whole_fen(value: Any) -> Any:
    """Money is a whole number of fen (DESIGN §4.6), sent as a JSON integer: ``600.0`` and ``"600.00"`` have already
    been through someone's floating point or formatting, and are refused rather than read as 600 (a query string's
    ``"600"`` still parses)."""
    if isinstance(value, float) or (isinstance(value, str) and not re.fullmatch(r"-?[0-9]+", value.strip())):
        raise ValueError("must be a whole number of fen (分) given as an integer, not a decimal or a float")
    return value


def _money(low: int, high: int, description: str) -> Any:
    return Annotated[integer_between(low, high, description=description), BeforeValidator(_whole_fen)]


Fen = _money(0, FEN_LIMIT, "amount in fen (分); 1 元 = 100 分")
# An amount that must be there to mean anything (a budget, a cap, a grant asked for): zero is refused with the rest.
PositiveFen = _money(1, FEN_LIMIT, "amount in fen (分), above 0; 1 元 = 100 分")


def decimal_between(low: int, high: int, places: int, **field: Any) -> Any:
    """An exact decimal from ``low`` to ``high`` with at most ``places`` decimals (a target, a weight, a score),
    never a float's rounding nor JSON true/false; send it as a string ("0.35") or a number."""
    return Annotated[Decimal, Field(ge=low, le=high, decimal_places=places, allow_inf_nan=False, **field),
                     _NOT_BOOLEAN]

SignedFen = _money(-FEN_LIMIT, FEN_LIMIT, "amount in fen (分); negative for a loss")
Year = integer_between(YEAR_MIN, YEAR_MAX, examples=[2026])


def _within_calendar(day: date) -> date:
    if not DATE_MIN <= day <= DATE_MAX:
        raise ValueError(f"must lie between {DATE_MIN} and {DATE_MAX}")
    return day


Date = Annotated[date, AfterValidator(_within_calendar)]


def _moment_within_calendar(moment: datetime) -> datetime:
    # The civil date first: far from the calendar's ends, a conversion to UTC cannot leave it (an offset is < 1 day).
    if not DATE_MIN <= moment.date() <= DATE_MAX or not DATE_MIN <= moment.astimezone(UTC).date() <= DATE_MAX:
        raise ValueError(f"must lie between {DATE_MIN} and {DATE_MAX}")
    return moment


# An instant: a date and time with its offset (a time without one could be any instant), within the calendar.
Moment = Annotated[AwareDatetime, AfterValidator(_moment_within_calendar)]


# A unified social credit code (统一社会信用代码), checked (GB 32100) and normalised (upper case, no spaces).
USCC = Annotated[str, Field(min_length=1, max_length=40, examples=["91330100716105852F"]),
                 AfterValidator(validate_uscc)]


# --- text ---------------------------------------------------------------------------------------------------------

# C0 and C1 controls and DEL; tab, line feed and carriage return are allowed in Text only.
_CONTROLS_IN_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROLS_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# Embeddings, overrides (U+202A–U+202E) and isolates (U+2066–U+2069): they reorder what a reader sees.
_BIDI_CONTROLS = re.compile(r"[\u202a-\u202e\u2066-\u2069]")
# Letters and symbols that render as nothing, although Unicode does not class them as spaces or format characters.
_BLANK_GLYPHS = frozenset("\u115f\u1160\u3164\uffa0\u2800")
# Categories that show nothing on their own: controls, format characters, surrogates, private use, unassigned,
# separators and combining marks.
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zs", "Zl", "Zp", "Mn", "Me"})

# name_key may grow a name (NFKC spells out ligatures and squared words): this bounds the key a unique index holds.
NAME_KEY_MAX_LENGTH = 400


def _refuse(pattern: re.Pattern[str], value: str, what: str) -> None:
    found = pattern.search(value)
    if found:
        raise ValueError(f"must not contain {what} (U+{ord(found.group()):04X} at position {found.start()})")


def _text(value: str) -> str:
    _refuse(_CONTROLS_IN_TEXT, value, "a control character")
    return value


def _line(value: str) -> str:
    _refuse(_CONTROLS_IN_LINE, value, "a control character or line break")
    _refuse(_BIDI_CONTROLS, value, "a bidirectional control character")
    return value


def has_visible_character(value: str) -> bool:
    return any(unicodedata.category(ch) not in _INVISIBLE_CATEGORIES and ch not in _BLANK_GLYPHS for ch in value)


def name_key(name: str) -> str:
    """The form in which two names are the same name: NFKC (full-width letters and digits as ASCII), case folded,
    without format characters (zero-width spaces and joiners), whitespace collapsed to one space."""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())
    return " ".join("".join(ch for ch in folded if unicodedata.category(ch) != "Cf").split())


def _name(value: str) -> str:
    _line(value)
    if not has_visible_character(value):
        raise ValueError("must contain a visible character")
    if len(name_key(value)) > NAME_KEY_MAX_LENGTH:
        raise ValueError(f"is longer than {NAME_KEY_MAX_LENGTH} characters once normalised")
    return value


# The checks as metadata, for a type that adds a pattern: Annotated[str, Field(pattern=...), LineRules] (a pattern
# placed after them still holds, but the OpenAPI document would drop it).
TextRules, LineRules, NameRules = AfterValidator(_text), AfterValidator(_line), AfterValidator(_name)
Text = Annotated[str, TextRules]
Line = Annotated[str, LineRules]
Name = Annotated[str, NameRules]


def control_character_in(value: str) -> str | None:
    """The first control character of ``value`` as ``U+XXXX``, or None: for text that reaches the database other
    than through a schema (query strings, path segments, cursors)."""
    found = _CONTROLS_IN_LINE.search(value)
    return None if found is None else f"U+{ord(found.group()):04X}"
