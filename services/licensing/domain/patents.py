"""Patents (专利) held by universities and institutes: their facts, the modes in which they are offered, and what
may be done with them in their current state. Pure rules.

A patent is entered by its holder institution with its application number (checked: type digit and check
character, REFERENCE §5.1), publication numbers (§5.2), title, abstract, IPC classes, inventors and patentees. Its
standing decides what may be done with it:

* **legal status** (法律状态): only a granted patent in force may be listed, licensed, declared open, tried or
  contributed; a pending application may be entered and described, nothing more;
* **co-owners** (共有专利权人): each patentee's consent is recorded; an open-licence declaration needs every one
  (专利法实施细则, REFERENCE §6.1 [C]), and so, by the same reading, does any grant (专利法 art. 14: a co-owner
  licenses others only with the others' consent, [M]);
* **pledge** (质押): while pledged, an open licence needs the pledgee's recorded consent (§6.1 [M]);
* **annual fees** (年费): while unpaid, no open licence may be declared (§6.1 [M]).

``offered_modes`` are how the holder offers it (listing: 挂牌); a patent is *listed* once at least one mode is
offered and it may be exploited, and every authenticated role may read it then.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from services.licensing.domain.values import optional_line, required_line
from shared.errors import Conflict, InvalidInput
from shared.ids import InvalidIdentifier, PatentApplicationNumber, parse_publication_number


class PatentType(StrEnum):
    INVENTION = "invention"  # 发明
    UTILITY_MODEL = "utility_model"  # 实用新型
    DESIGN = "design"  # 外观设计


# Application-number type digit → patent type (PCT national-phase entries are inventions / utility models).
TYPE_OF_DIGIT = {"1": PatentType.INVENTION, "8": PatentType.INVENTION, "2": PatentType.UTILITY_MODEL,
                 "9": PatentType.UTILITY_MODEL, "3": PatentType.DESIGN}


def patent_type_of(number: PatentApplicationNumber) -> PatentType:
    return TYPE_OF_DIGIT[number.type_code]


class LegalStatus(StrEnum):
    PENDING = "pending"  # 申请中 / 实质审查
    GRANTED = "granted"  # 授权, in force
    LAPSED = "lapsed"  # 终止 (fees not paid, abandoned)
    INVALIDATED = "invalidated"  # 无效宣告
    EXPIRED = "expired"  # 期限届满


class PledgeStatus(StrEnum):
    NONE = "none"
    PLEDGED = "pledged"  # 质押


class FeeStatus(StrEnum):
    PAID = "paid"
    UNPAID = "unpaid"  # 年费未缴 (in the grace period or overdue)


class Mode(StrEnum):
    """How a patent is offered (挂牌方式)."""

    OPEN_LICENCE = "open_licence"  # 开放许可 (arts. 50–52)
    TRIAL_THEN_TRANSFER = "trial_then_transfer"  # 先用后转
    EQUITY_CONTRIBUTION = "equity_contribution"  # 作价入股
    TRANSFER = "transfer"  # 转让
    LICENCE = "licence"  # 许可 (exclusive, sole or ordinary, negotiated)


@dataclass(frozen=True)
class Patentee:
    """A (co-)owner of the patent and whether it consented to the patent being offered and licensed."""

    name: str
    consented: bool = False
    consented_on: date | None = None

    def __post_init__(self) -> None:
        if self.consented and self.consented_on is None:
            raise InvalidInput(f"{self.name}: a consent is recorded with its date", field="consented_on")


@dataclass(frozen=True)
class Standing:
    """What decides whether a patent may be exploited now: the facts an offer or a grant is checked against."""

    legal_status: LegalStatus
    patentees: tuple[Patentee, ...]
    pledge_status: PledgeStatus = PledgeStatus.NONE
    pledgee_consented: bool = False
    fee_status: FeeStatus = FeeStatus.PAID
    transferred: bool = False  # assigned away (转让 registered, or contributed as equity): no longer the holder's

    def refusal_to_exploit(self) -> tuple[str, str] | None:
        """Why no licence, trial, transfer or contribution may be made now (message, field), or None."""
        if self.transferred:
            return "the patent has been transferred; its holder may no longer grant rights in it", "patent"
        if self.legal_status is not LegalStatus.GRANTED:
            return (f"the patent is {self.legal_status.value}; only a granted patent in force may be licensed, "
                    "transferred or contributed", "legal_status")
        missing = [p.name for p in self.patentees if not p.consented]
        if missing:
            return (f"co-owner consent is not recorded for: {', '.join(missing)}", "patentees")
        return None

    def ensure_exploitable(self) -> None:
        refusal = self.refusal_to_exploit()
        if refusal:
            raise Conflict(refusal[0], field=refusal[1])


def check_patentees(patentees: Iterable[Patentee], holder_name: str) -> tuple[Patentee, ...]:
    """The patentees as entered: at least one, no name twice, and the holder institution among them."""
    listed = tuple(patentees)
    if not listed:
        raise InvalidInput("a patent has at least one patentee", field="patentees")
    names = [p.name.strip() for p in listed]
    for index, name in enumerate(names):
        if not name:
            raise InvalidInput("a patentee has a name", field=f"patentees.{index}.name")
        if names.index(name) != index:
            raise InvalidInput(f"{name} is listed twice", field=f"patentees.{index}.name")
    if holder_name.strip() not in names:
        raise InvalidInput(f"the holder institution {holder_name} must be one of the patentees", field="patentees")
    return listed


IPC = r"[A-H][0-9]{2}[A-Z](?: ?[0-9]{1,4}/[0-9]{1,6})?"


def check_ipc(classes: Iterable[str]) -> tuple[str, ...]:
    """IPC classes (国际专利分类) such as ``G06T7/00`` or ``B01D 53/86``, upper-cased, spaces dropped, each once."""
    pattern = re.compile(IPC)
    seen: list[str] = []
    for index, raw in enumerate(classes):
        code = raw.strip().upper()
        if not pattern.fullmatch(code):
            raise InvalidInput(f"{raw!r} is not an IPC class (e.g. G06T7/00: section, class, subclass, group)",
                               field=f"ipc_classes.{index}")
        code = code.replace(" ", "")
        if code not in seen:
            seen.append(code)
    return tuple(seen)


def check_publication_numbers(numbers: Iterable[str], patent_type: PatentType) -> tuple[str, ...]:
    """Publication / grant numbers (REFERENCE §5.2), canonical, each once, of the patent's own type (which only the
    9-digit form encodes)."""
    seen: list[str] = []
    for index, raw in enumerate(numbers):
        try:
            number = parse_publication_number(raw)
        except InvalidIdentifier as exc:
            raise InvalidInput(f"{raw!r}: {exc.reason}", field=f"publication_numbers.{index}") from None
        of_type = TYPE_OF_DIGIT.get(number.type_code or "")
        if of_type is not None and of_type is not patent_type:
            raise InvalidInput(f"{number.canonical} is the publication of a {of_type.value} patent, not of this "
                               f"{patent_type.value} patent", field=f"publication_numbers.{index}")
        if number.canonical not in seen:
            seen.append(number.canonical)
    return tuple(seen)


@dataclass(frozen=True)
class PatentContent:
    """A patent's descriptive facts, checked."""

    title: str
    abstract: str
    holder_name: str
    inventors: tuple[str, ...]
    ipc_classes: tuple[str, ...] = ()
    granted_on: date | None = None
    legal_status: LegalStatus = LegalStatus.GRANTED
    filed_on: date | None = None

    def __post_init__(self) -> None:
        required_line(self.title, "title", "a title")
        required_line(self.abstract, "abstract", "an abstract")
        required_line(self.holder_name, "holder_name", "the holder institution's name")
        if not self.inventors or any(optional_line(i) is None for i in self.inventors):
            raise InvalidInput("a patent names its inventors", field="inventors")
        if self.legal_status is LegalStatus.GRANTED and self.granted_on is None:
            raise InvalidInput("a granted patent has its grant date", field="granted_on")
        if self.granted_on is not None and self.filed_on is not None and self.granted_on < self.filed_on:
            raise InvalidInput("the grant date precedes the filing", field="granted_on")


def check_modes(modes: Iterable[str]) -> tuple[Mode, ...]:
    chosen: list[Mode] = []
    for index, value in enumerate(modes):
        try:
            mode = Mode(value)
        except ValueError:
            raise InvalidInput(f"unknown mode {value!r}; one of: {', '.join(Mode)}", field=f"modes.{index}") from None
        if mode not in chosen:
            chosen.append(mode)
    return tuple(chosen)


def check_listable(standing: Standing, modes: tuple[Mode, ...]) -> None:
    """A patent goes on the list (挂牌) with at least one mode, and only when it may be exploited."""
    if not modes:
        raise InvalidInput("a listing offers at least one mode", field="modes")
    standing.ensure_exploitable()
