"""Fund pool, programme, round and dated-amount API models. The rules that relate them (dates inside the parent's,
budgets within the parent's, a cap within the budget) are the domain's (``domain.programmes``)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from services.funding.domain.programmes import AwardMode, Instrument, IssuerLevel
from services.funding.schemas.common import DistrictCode, RuleIn, RuleRead, ShortLine, Strict_, Title
from shared.types import Date, Line, PositiveFen, Text

IssuerLevelIn = Literal[tuple(IssuerLevel)]  # type: ignore[valid-type]
InstrumentIn = Literal[tuple(Instrument)]  # type: ignore[valid-type]
ModeIn = Literal[tuple(AwardMode)]  # type: ignore[valid-type]


class PoolCreate(Strict_):
    """配套基金池. ``district_code``: the district or county whose money it is; absent: the city's (湖州市本级)."""

    name: Title = Field(examples=["2026年播种计划配套基金"])
    issuer: ShortLine = Field(examples=["湖州市"])
    issuer_level: IssuerLevelIn
    district_code: DistrictCode | None = None
    budget_fen: PositiveFen
    opens_on: Date
    closes_on: Date


class PoolRead(BaseModel):
    id: uuid.UUID
    name: str
    issuer: str
    issuer_level: str
    district_code: str | None
    budget_fen: int
    opens_on: date
    closes_on: date
    created_by: str
    created_at: datetime
    version: int


class PoolUpdate(Strict_):
    """A change of a pool under If-Match: only the fields sent change. Its budget never falls below what its
    programmes hold, and its dates keep holding theirs."""

    name: Title | None = None
    budget_fen: PositiveFen | None = None
    opens_on: Date | None = None
    closes_on: Date | None = None


class ProgrammeCreate(Strict_):
    pool_id: uuid.UUID
    name: Title = Field(examples=["专精特新企业研发补助"])
    instrument: InstrumentIn
    mode: ModeIn = "application"
    budget_fen: PositiveFen
    per_enterprise_cap_fen: PositiveFen
    opens_on: Date
    closes_on: Date
    eligibility: Annotated[list[RuleIn], Field(max_length=30)] = []
    conflict_group: ShortLine | None = None
    source: Annotated[Text, Field(max_length=2000)] | None = None


class ProgrammeRead(BaseModel):
    id: uuid.UUID
    pool_id: uuid.UUID
    name: str
    instrument: str
    mode: str
    issuer: str
    issuer_level: str
    district_code: str | None
    budget_fen: int
    per_enterprise_cap_fen: int
    opens_on: date
    closes_on: date
    eligibility: list[RuleRead]
    conflict_group: str | None
    source: str | None
    created_at: datetime
    version: int


class ProgrammeUpdate(Strict_):
    """A change of a programme under If-Match: only the fields sent change (``conflict_group``/``source``: null
    clears). Its budget never falls below what its rounds were allocated; its cap and dates keep holding its rounds';
    within its pool as when it was set up."""

    name: Title | None = None
    budget_fen: PositiveFen | None = None
    per_enterprise_cap_fen: PositiveFen | None = None
    opens_on: Date | None = None
    closes_on: Date | None = None
    eligibility: Annotated[list[RuleIn], Field(max_length=30)] | None = None
    conflict_group: ShortLine | None = None
    source: Annotated[Text, Field(max_length=2000)] | None = None


class RoundCreate(Strict_):
    """A round; its budget is its first allocation in the ledger. ``pays_challenge_bounties``: the round that pays
    the public share of accepted challenges' bounties (one at most)."""

    name: Title = Field(examples=["2026年第一批"])
    budget_fen: PositiveFen
    per_enterprise_cap_fen: PositiveFen | None = None
    opens_on: Date
    closes_on: Date
    eligibility: Annotated[list[RuleIn], Field(max_length=30)] = []
    pays_challenge_bounties: bool = False


class RoundRead(BaseModel):
    id: uuid.UUID
    programme_id: uuid.UUID
    name: str
    district_code: str | None
    budget_fen: int = Field(description="allocated to the round in the ledger")
    available_fen: int = Field(description="budget less what is committed or paid")
    per_enterprise_cap_fen: int = Field(description="what one enterprise may receive from the round in all")
    opens_on: date
    closes_on: date
    phase: str = Field(description="upcoming, open or closed, today (Asia/Shanghai)")
    eligibility: list[RuleRead] = Field(description="the programme's rules, then the round's own")
    pays_challenge_bounties: bool
    created_at: datetime
    version: int


class AllocationCreate(Strict_):
    """A top-up of the round's budget (预算追加), within the programme's budget."""

    amount_fen: PositiveFen
    note: Annotated[Text, Field(max_length=2000)] | None = None


class DatedAmountCreate(Strict_):
    """An issuer's amount for one item from a date (REFERENCE §13.2: "最高 20万" for a first HNTE recognition …)."""

    issuer: ShortLine = Field(examples=["湖州市"])
    item: Annotated[Line, Field(min_length=1, max_length=100, pattern=r"^[a-z0-9_]+$")] = Field(
        examples=["hnte_first_recognition"])
    amount_fen: PositiveFen
    effective_from: Date
    effective_until: Date | None = None
    ceiling: bool = True
    source: Annotated[Text, Field(max_length=2000)] | None = None
    confidence: Literal["V", "C", "M", "U"] = "U"


class DatedAmountRead(BaseModel):
    id: uuid.UUID
    issuer: str
    item: str
    amount_fen: int
    effective_from: date
    effective_until: date | None
    ceiling: bool
    source: str | None
    confidence: str
    created_at: datetime


class BalanceRead(BaseModel):
    allocated_fen: int
    committed_fen: int
    disbursed_fen: int
    released_fen: int
    clawed_back_fen: int
    voucher_issued_fen: int
    voucher_redeemed_fen: int
    budget_fen: int
    reserved_fen: int = Field(description="committed or issued, not yet paid or released")
    paid_fen: int = Field(description="disbursed + voucher redeemed")
    available_fen: int


class Discrepancy(BaseModel):
    field: str
    recorded: int
    derived: int


class RoundBalanceRead(BalanceRead):
    round_id: uuid.UUID
    programme_id: uuid.UUID
    reconciled: bool = Field(description="the round's running sums equal the fold of its entries")
    discrepancies: list[Discrepancy]


class ProgrammeBalanceRead(BalanceRead):
    programme_id: uuid.UUID
    budget_fen_of_programme: int


class LedgerEntryRead(BaseModel):
    id: int
    programme_id: uuid.UUID
    round_id: uuid.UUID
    kind: str
    amount_fen: int
    reference: str | None
    key: str | None
    entry_date: date
    note: str | None
    created_by: str
    created_at: datetime


class RoundUpdate(Strict_):
    """A change of a round's terms (its budget moves only by allocations in the ledger): only the fields sent
    change; ``per_enterprise_cap_fen: null`` falls back to the programme's cap."""

    name: Title | None = None
    opens_on: Date | None = None
    closes_on: Date | None = None
    per_enterprise_cap_fen: PositiveFen | None = None
    eligibility: Annotated[list[RuleIn], Field(max_length=30)] | None = None
    pays_challenge_bounties: bool | None = None
