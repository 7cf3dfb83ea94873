"""Patent API models: PatentCreate / PatentUpdate / PatentRead, the listing commands and the open-licence
declaration (开放许可声明)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from services.licensing.domain.open_licences import RoyaltyBasis, RoyaltyMode
from services.licensing.domain.patents import FeeStatus, LegalStatus, Mode, PledgeStatus
from services.licensing.schemas.common import Reference, Share
from shared.types import Date, Fen, Line, Name, Text

ApplicationNumber = Annotated[Line, Field(min_length=1, max_length=40, examples=["202110182616.5", "ZL202322865413.3"],
                                          description="申请号 / 专利号 (ZC 0006-2003): type digit and check character "
                                                      "are checked")]
PublicationNumber = Annotated[Line, Field(min_length=1, max_length=30, examples=["CN113078375B"])]
IpcClass = Annotated[Line, Field(min_length=1, max_length=30, examples=["G06T7/00"])]
Person = Annotated[Name, Field(max_length=100)]
Title = Annotated[Line, Field(min_length=1, max_length=300)]
Abstract = Annotated[Text, Field(min_length=1, max_length=10000)]
ModeName = Literal[tuple(Mode)]  # type: ignore[valid-type]


class PatenteeIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: Annotated[Name, Field(max_length=200)]
    consented: bool = False
    consented_on: Date | None = None


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class PatentCreate(_Body):
    """A patent entered by its holder institution (an admin names the institute account)."""

    institute_id: Annotated[Line, Field(min_length=1, max_length=100)] | None = Field(
        None, description="the holder's institute account; an institute's own token decides it")
    holder_name: Annotated[Name, Field(max_length=200)] = Field(examples=["湖州师范学院"])
    application_number: ApplicationNumber
    publication_numbers: Annotated[list[PublicationNumber], Field(max_length=20)] = []
    title: Title
    abstract: Abstract
    ipc_classes: Annotated[list[IpcClass], Field(max_length=30)] = []
    inventors: Annotated[list[Person], Field(min_length=1, max_length=50)]
    patentees: Annotated[list[PatenteeIn], Field(min_length=1, max_length=20)]
    legal_status: Literal[tuple(LegalStatus)] = "granted"  # type: ignore[valid-type]
    filed_on: Date | None = None
    granted_on: Date | None = None
    pledge_status: Literal[tuple(PledgeStatus)] = "none"  # type: ignore[valid-type]
    pledgee: Annotated[Name, Field(max_length=200)] | None = None
    pledgee_consented: bool = False
    fee_status: Literal[tuple(FeeStatus)] = "paid"  # type: ignore[valid-type]


class PatentUpdate(_Body):
    """A partial update: the patent's standing as it changes (legal status, pledge, fees, co-owners' consent) and
    its description. The application number and the holder do not change."""

    publication_numbers: Annotated[list[PublicationNumber], Field(max_length=20)] | None = None
    title: Title | None = None
    abstract: Abstract | None = None
    ipc_classes: Annotated[list[IpcClass], Field(max_length=30)] | None = None
    inventors: Annotated[list[Person], Field(min_length=1, max_length=50)] | None = None
    patentees: Annotated[list[PatenteeIn], Field(min_length=1, max_length=20)] | None = None
    legal_status: Literal[tuple(LegalStatus)] | None = None  # type: ignore[valid-type]
    granted_on: Date | None = None
    pledge_status: Literal[tuple(PledgeStatus)] | None = None  # type: ignore[valid-type]
    pledgee: Annotated[Name, Field(max_length=200)] | None = None
    pledgee_consented: bool | None = None
    fee_status: Literal[tuple(FeeStatus)] | None = None  # type: ignore[valid-type]


class Listing(_Body):
    """挂牌: the modes the patent is offered in."""

    modes: Annotated[list[ModeName], Field(min_length=1, max_length=5)]


class Delisting(_Body):
    reason: Annotated[Text, Field(min_length=1, max_length=2000)]


class PatenteeRead(BaseModel):
    name: str
    consented: bool
    consented_on: date | None


class PatentRead(BaseModel):
    id: uuid.UUID
    institute_id: str
    holder_name: str
    application_number: str
    patent_number: str
    patent_type: str
    publication_numbers: list[str]
    title: str
    abstract: str
    ipc_classes: list[str]
    inventors: list[str]
    patentees: list[PatenteeRead]
    legal_status: str
    filed_on: date | None
    granted_on: date | None
    pledge_status: str
    pledgee: str | None
    pledgee_consented: bool
    fee_status: str
    modes_offered: list[str]
    listing: str
    listed_at: datetime | None
    open_licence_id: uuid.UUID | None = Field(None, description="the open-licence declaration in force, if any")
    transferred_to_uscc: str | None
    created_by: str
    created_at: datetime
    updated_at: datetime
    version: int


class RoyaltyIn(_Body):
    """许可使用费支付方式与标准."""

    mode: Literal[tuple(RoyaltyMode)]  # type: ignore[valid-type]
    lump_sum_fen: Fen | None = None
    entry_fee_fen: Fen | None = None
    rate: Share | None = Field(None, description="running royalty as a fraction of its basis (0.03 = 3%)")
    basis: Literal[tuple(RoyaltyBasis)] | None = None  # type: ignore[valid-type]


class DeclarationCreate(_Body):
    royalty: RoyaltyIn
    standard: Annotated[Text, Field(min_length=1, max_length=4000)] = Field(
        examples=["被许可人每季度结束后30日内按净销售额的3%支付提成"])
    term_start: Date
    term_end: Date | None = None
    evaluation_report_no: Reference | None = Field(None, description="专利权评价报告: required for utility models "
                                                                     "and designs")


class Withdrawal(_Body):
    reason: Annotated[Text, Field(min_length=1, max_length=2000)]


class DeclarationRead(BaseModel):
    id: uuid.UUID
    patent_id: uuid.UUID
    royalty_mode: str
    lump_sum_fen: int | None
    entry_fee_fen: int | None
    royalty_rate: Decimal | None
    royalty_basis: str | None
    upfront_fen: int
    standard: str
    term_start: date
    term_end: date | None
    evaluation_report_no: str | None
    warnings: list[str]
    status: str
    declared_by: str
    declared_at: datetime
    withdrawn_at: datetime | None
    withdrawal_reason: str | None
    version: int


