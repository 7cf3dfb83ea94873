"""Application API models (揭榜申报): what an enterprise sends, alone or leading a consortium, and what readers get
back. The rules (a consortium's members, one team lead, the bounty asked within the budget) are the domain's
(``services.scenarios.domain.applications``); these types refuse what no rule could read."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from services.scenarios.domain.applications import ApplicationCommand, ApplicationStatus, PartnerRole, TeamRole
from services.scenarios.schemas.scenarios import LongText
from shared.types import USCC, Fen, Line, Name, Text

Status = Literal[tuple(ApplicationStatus)]  # type: ignore[valid-type]
Command = Annotated[Line, Field(min_length=1, max_length=40, description="one of: " + ", ".join(ApplicationCommand))]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class PartnerIn(_In):
    """A consortium partner (创新联合体成员) by its USCC, and its part of the work (分工)."""

    uscc: USCC
    name: Annotated[Name, Field(max_length=200)]
    role: Literal[tuple(PartnerRole)]  # type: ignore[valid-type]
    responsibility: Annotated[Text, Field(min_length=1, max_length=2000)]


class TeamMemberIn(_In):
    """A team member (personal data: shown to those who work the case, masked for the others)."""

    name: Annotated[Name, Field(max_length=100)]
    role: Literal[tuple(TeamRole)]  # type: ignore[valid-type]
    organisation_uscc: USCC
    title: Annotated[Line, Field(max_length=100)] | None = None


class ApplicationCreate(_In):
    """揭榜申报书. The lead applicant is the calling enterprise (its token's USCC)."""

    summary: LongText
    technical_route: LongText
    budget_fen: Fen
    requested_fen: Fen
    partners: Annotated[list[PartnerIn], Field(max_length=20)] = []
    team: Annotated[list[TeamMemberIn], Field(min_length=1, max_length=50)]
    commitment_signed: bool = False


class ApplicationTransition(_In):
    """An application command (domain.applications.TRANSITIONS): turning an applicant away (reject, decline) needs
    a ``reason_code`` that fits and the ``reason``."""

    command: Command
    reason: Annotated[Text, Field(max_length=2000)] | None = None
    reason_code: Annotated[Line, Field(max_length=40)] | None = None


class ApplicationRead(BaseModel):
    id: uuid.UUID
    challenge_id: uuid.UUID
    district_code: str
    lead_uscc: str
    lead_name: str
    summary: str
    technical_route: str
    budget_fen: int
    requested_fen: int
    partners: list[dict[str, Any]]
    team: list[dict[str, Any]]
    personal_data_masked: bool = False
    commitment_signed: bool
    status: str
    reason_code: str | None = Field(description="why it was not chosen (domain DeclineCode), when it was not")
    reason_text: str | None
    decided_at: datetime | None
    award_fen: int | None
    appointed_at: datetime | None
    acceptance: str | None
    created_at: datetime
    updated_at: datetime
    version: int
