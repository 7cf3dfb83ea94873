"""Values every aggregate of the scenarios service is built from: money in fen, checked text and tags, dates,
the publisher of a list entry, and the refusals that name the field at fault. Pure: no I/O.

Refusals are the service kit's domain errors (``shared.errors``): they carry no HTTP, and the edge maps each kind
once to problem+json, with ``field`` naming the input at fault as a dotted path (``indicators.2.unit``), the same
form the edge gives pydantic's own validation errors. A container that checks its items wraps each check in
:func:`within`, so that the item's own refusal (``unit``) reaches the caller with its place (``indicators.2.unit``).
"""

from __future__ import annotations

import calendar
import math
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction

from shared.errors import InvalidInput
from shared.ids import InvalidIdentifier, validate_uscc

FEN_PER_YUAN = 100
FEN_PER_WAN = 1_000_000
"""1 万元 = 10 000 元 = 1 000 000 fen. Policy texts state every amount in 万元."""

# The same bound as the API's ``Fen`` type: far above any bounty, it catches unit mix-ups (元 sent as 万元 × 100)
# and fits a BIGINT column.
FEN_LIMIT = 10**17


def wan(amount: int | str | Decimal) -> int:
    """万元 → fen, exactly (``wan("0.5")`` is 500 000 fen). Strings, not floats, so nothing is rounded."""
    fen = Decimal(str(amount)) * FEN_PER_WAN
    if fen != fen.to_integral_value():
        raise ValueError(f"{amount} 万元 is not a whole number of fen")
    return int(fen)


def show_fen(amount: int) -> str:
    """An amount for a refusal's text, in 万元 as the programme writes amounts (``1234500`` → ``1.2345万元``)."""
    return f"{(Decimal(amount) / FEN_PER_WAN).normalize():f}万元"


@contextmanager
def within(prefix: str | int) -> Iterator[None]:
    """Re-raise a refusal from inside with its place in front of its field: ``within("indicators.2")`` turns
    ``unit`` into ``indicators.2.unit``."""
    try:
        yield
    except InvalidInput as exc:
        exc.field = f"{prefix}.{exc.field}" if exc.field else str(prefix)
        raise


def check_fen(value: object, field: str, *, positive: bool = False) -> int:
    """An amount in fen: a whole number (never a float or a boolean: JSON ``true`` must not become 1 fen), not
    negative (positive when asked), below :data:`FEN_LIMIT`."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(f"{field} must be a whole number of fen, not {value!r}", field=field)
    if value < 0 or (positive and value == 0):
        raise InvalidInput(f"{field} must be {'positive' if positive else 'zero or more'}; it is {value}",
                           field=field)
    if value > FEN_LIMIT:
        raise InvalidInput(f"{field} is above {FEN_LIMIT} fen: is the unit right?", field=field)
    return value


def check_decimal(value: object, field: str) -> Decimal:
    """A finite Decimal; a string is read exactly; a float is refused (DESIGN §4.6: ratios are Decimal)."""
    if isinstance(value, float | bool):
        raise InvalidInput(f"{field} must be a Decimal or a string, not {value!r}", field=field)
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value))
    except ArithmeticError:
        raise InvalidInput(f"{field} is not a number: {value!r}", field=field) from None
    if not number.is_finite():
        raise InvalidInput(f"{field} must be a finite number, not {number}", field=field)
    return number


def check_text(value: object, field: str) -> str:
    """Required text: trimmed, with at least one visible character (a title of spaces is no title)."""
    if not isinstance(value, str):
        raise InvalidInput(f"{field} must be text", field=field)
    trimmed = value.strip()
    if not _visible(trimmed):
        raise InvalidInput(f"{field} is required", field=field)
    return trimmed


def _visible(text: str) -> bool:
    # Letters, numbers, punctuation or symbols: zero-width and other format characters show nothing.
    return any(unicodedata.category(ch)[0] in "LNPS" for ch in text)


def optional_text(value: object, field: str) -> str | None:
    """Text that may be absent: blank counts as absent, so that "" and None are stored alike."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return check_text(value, field)


def _tag_key(tag: str) -> str:
    return tag.casefold()


def normalise_tags(tags: Iterable[str], *, field: str = "capability_tags", max_tags: int = 30,
                   max_length: int = 40) -> tuple[str, ...]:
    """Capability tags as a set in meaning: each NFKC-normalised (full-width ``ＡＩ视觉`` is ``AI视觉``), trimmed,
    inner whitespace collapsed; blanks dropped; duplicates dropped ignoring case (``AI视觉`` = ``ai视觉``), keeping
    the first spelling and the order of first appearance, which is how the publisher ranked them.

    Matching compares these with the enterprises' capability tags, so two spellings of one tag must not count as
    two tags. The limits are the registry's (30 tags of ≤ 40 characters), so that both sides hold the same."""
    if isinstance(tags, str):  # a lone string would otherwise be read as a list of characters
        raise InvalidInput(f"{field} must be a list of tags, not one string", field=field)
    seen: dict[str, str] = {}
    for index, raw in enumerate(tags):
        if not isinstance(raw, str):
            raise InvalidInput(f"a tag must be text, not {raw!r}", field=f"{field}.{index}")
        tag = " ".join(unicodedata.normalize("NFKC", raw).split())
        if not _visible(tag):
            continue
        if len(tag) > max_length:
            raise InvalidInput(f"tag {tag!r} is longer than {max_length} characters", field=f"{field}.{index}")
        seen.setdefault(_tag_key(tag), tag)
    if len(seen) > max_tags:
        raise InvalidInput(f"at most {max_tags} different tags; there are {len(seen)}", field=field)
    return tuple(seen.values())


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later; a day the target month lacks falls back to its last day (31 Jan + 1 month
    is 28/29 Feb), so that "within 12 months" never reaches into a 13th month."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def apportion(total_fen: int, weights: Sequence[int | Decimal]) -> tuple[int, ...]:
    """Split ``total_fen`` in proportion to ``weights`` into whole fen that add up to it exactly: each part is its
    exact share rounded down, then the fen left over go one each to the parts with the largest remainders (ties:
    the earlier part). No fen is created or lost, and each part is within one fen of its exact share.

    The arithmetic is in fractions, so a third is a third: Decimal would round 1/3 before the split."""
    if any(weight < 0 for weight in weights) or sum(weights, Decimal(0)) <= 0:
        raise ValueError("weights must not be negative, and at least one must be positive")
    whole = sum((Fraction(weight) for weight in weights), Fraction(0))
    exact = [Fraction(total_fen) * Fraction(weight) / whole for weight in weights]
    parts = [math.floor(value) for value in exact]
    left_over = total_fen - sum(parts)
    by_remainder = sorted(range(len(parts)), key=lambda i: (-(exact[i] - parts[i]), i))
    for i in by_remainder[:left_over]:
        parts[i] += 1
    return tuple(parts)


class PublisherKind(StrEnum):
    """Who publishes a list entry (发布方 / 发榜方): a firm, by its USCC, or a government department."""

    ENTERPRISE = "enterprise"  # 企业 (链主企业, 国企 …)
    DEPARTMENT = "department"  # 政府部门 (an officer publishes on its behalf)


@dataclass(frozen=True)
class Publisher:
    """The publisher of a scenario or the issuer of a challenge. A firm is known by its USCC; a department by its
    name (it may have a USCC too: 机关 codes start with 1)."""

    kind: PublisherKind
    uscc: str | None = None
    department: str | None = None

    def __post_init__(self) -> None:
        try:
            kind = PublisherKind(self.kind)
        except ValueError:
            raise InvalidInput(f"unknown publisher kind {self.kind!r}; one of: "
                               f"{', '.join(PublisherKind)}", field="kind") from None
        object.__setattr__(self, "kind", kind)
        uscc = None
        if self.uscc is not None:
            try:
                uscc = validate_uscc(self.uscc)
            except InvalidIdentifier as exc:
                raise InvalidInput(str(exc), field="uscc") from None
        object.__setattr__(self, "uscc", uscc)
        department = optional_text(self.department, "department")
        object.__setattr__(self, "department", department)
        if kind is PublisherKind.ENTERPRISE:
            if uscc is None:
                raise InvalidInput("an enterprise publisher is known by its USCC", field="uscc")
            if department is not None:
                raise InvalidInput("an enterprise publisher has no department", field="department")
        elif department is None:
            raise InvalidInput("a department publisher is known by the department's name", field="department")

    @property
    def is_enterprise(self) -> bool:
        return self.kind is PublisherKind.ENTERPRISE
