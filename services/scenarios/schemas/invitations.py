"""Invitation API models (邀约): what a firm reads of the demands matching recommended it for, and how it answers."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from services.scenarios.domain.invitations import DeclineCode, DemandKind, InvitationCommand, InvitationStatus
from shared.types import Line, Text

Status = Literal[tuple(InvitationStatus)]  # type: ignore[valid-type]
Kind = Literal[tuple(DemandKind)]  # type: ignore[valid-type]
Command = Annotated[Line, Field(min_length=1, max_length=40, description="one of: " + ", ".join(InvitationCommand))]


class InvitationAnswer(BaseModel):
    """The firm's answer: ``accept`` (with what it offers, for a scenario's publisher to read), or ``decline``
    with a ``reason_code`` (and the ``reason`` in words; required with ``other``)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    command: Command
    note: Annotated[Text, Field(max_length=2000, description="accept, for a scenario: what the firm offers "
                                                             "(能力说明), recorded with its interest")] | None = None
    reason_code: Annotated[Line, Field(max_length=40, description="decline only; one of: " + ", ".join(DeclineCode))
                           ] | None = None
    reason: Annotated[Text, Field(max_length=2000)] | None = None


class Reasons(BaseModel):
    """Why matching recommended the firm (match.recommended): its score, what matched, each signal's share."""

    score: float
    matched_terms: list[str]
    matched_tags: list[str]
    contributions: dict[str, float]


class InvitationRead(BaseModel):
    id: uuid.UUID
    demand_kind: str
    demand_id: uuid.UUID
    title: str
    district_code: str
    demand_href: str = Field(description="the scenario or challenge")
    enterprise_uscc: str
    enterprise_name: str | None = Field(description="as the registry publishes it (None until it is known here)")
    reasons: Reasons
    recommended_at: datetime
    status: str
    answerable: bool = Field(description="pending, and the demand still takes answers (accepting would be taken); "
                                         "a pending invitation whose demand moved on can only be declined")
    decline_code: str | None
    decline_reason: str | None
    interest_id: uuid.UUID | None = Field(description="an accepted scenario invitation: the firm's interest (意向)")
    apply_href: str | None = Field(description="an accepted challenge invitation: where the firm applies (揭榜申报, "
                                               "POST with an Idempotency-Key)")
    answered_by: str | None
    answered_at: datetime | None
    created_at: datetime
    version: int


class InvitationSummary(BaseModel):
    """How the invited firms answered, over the invitations the caller may read (one demand's, with demand_id)."""

    total: int
    by_status: dict[str, int] = Field(description="pending, accepted, declined")
    declined_by_code: dict[str, int] = Field(description="the declines by reason code: " + ", ".join(DeclineCode))
