"""Funding reports: budget use by programme, round, district and tier; open award data (docs/open-award-data.md)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

BudgetDimension = Literal["programme", "round", "district", "tier"]


class BudgetGroup(BaseModel):
    key: str | None = Field(description="programme or round id, district code, or tier (null: no tier held)")
    label: str | None = Field(description="the programme's or round's name, where the key is one")
    budget_fen: int | None = Field(description="allocated (programme and round groups only)")
    committed_fen: int
    disbursed_fen: int
    released_fen: int
    clawed_back_fen: int
    voucher_issued_fen: int = 0
    voucher_redeemed_fen: int = 0
    available_fen: int | None = Field(description="budget less committed or paid (programme and round groups only)")
    awards: int | None = Field(description="awards counted (district and tier groups only)")
    firms: int | None = Field(description="firms awarded (district and tier groups only)")


class BudgetUseRead(BaseModel):
    by: str
    groups: list[BudgetGroup]
    totals: BudgetGroup


class OrganisationRef(BaseModel):
    id: str = Field(description="recipient: CN-USCC-<统一社会信用代码>")
    name: str
    district_code: str | None = Field(None, alias="districtCode")

    model_config = {"populate_by_name": True}


class FunderRef(BaseModel):
    name: str
    level: str


class ProgrammeRef(BaseModel):
    code: str
    title: str
    instrument: str
    round_id: str = Field(alias="roundId")
    round_title: str = Field(alias="roundTitle")

    model_config = {"populate_by_name": True}


class OpenAward(BaseModel):
    """One award as open data, in the spirit of the 360Giving Data Standard (docs/open-award-data.md)."""

    id: str = Field(description="seedbed-huzhou-<award id>")
    title: str
    currency: Literal["CNY"] = "CNY"
    amount_awarded: str = Field(alias="amountAwarded", description="yuan as a decimal string (exact)")
    amount_awarded_fen: int = Field(alias="amountAwardedFen")
    amount_disbursed_fen: int = Field(alias="amountDisbursedFen")
    amount_clawed_back_fen: int = Field(alias="amountClawedBackFen")
    award_date: date = Field(alias="awardDate")
    award_mode: str = Field(alias="awardMode", description="application (申报) or automatic (免申即享, bounties)")
    status: str
    recipient_organization: list[OrganisationRef] = Field(alias="recipientOrganization")
    funding_organization: list[FunderRef] = Field(alias="fundingOrganization")
    grant_programme: list[ProgrammeRef] = Field(alias="grantProgramme")
    date_modified: datetime = Field(alias="dateModified")
    award_id: uuid.UUID = Field(alias="awardId")

    model_config = {"populate_by_name": True}
