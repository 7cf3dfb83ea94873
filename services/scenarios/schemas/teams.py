"""Appointment (挂帅) and milestone (里程碑考核) API models."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from services.scenarios.domain.challenges import MilestoneCommand
from services.scenarios.schemas.applications import ApplicationRead
from shared.types import Date, Fen, Line, Text, decimal_between


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class MilestoneIn(_In):
    """One milestone of the team's plan, in order: due within 12 months of the one before (of the appointment, for
    the first) and within the challenge's duration; the tranche shares of the plan add up to exactly 1."""

    title: Annotated[Line, Field(min_length=1, max_length=200)]
    due_on: Date
    tranche_share: decimal_between(0, 1, 4, description="the share of the team's award paid on passing")  # type: ignore[valid-type]
    indicators: Annotated[list[Annotated[Line, Field(max_length=100)]], Field(max_length=30)] = []


class AppointmentIn(_In):
    """挂帅: the application appointed, its award (default: the whole bounty for a single winner, an equal part for
    赛马), the reason when a higher-ranked application is passed over, and the team's milestones."""

    application_id: uuid.UUID
    award_fen: Fen | None = None
    reason: Annotated[Text, Field(max_length=2000)] | None = None
    milestones: Annotated[list[MilestoneIn], Field(min_length=1, max_length=24)]


class MilestoneTransition(_In):
    command: Annotated[Line, Field(min_length=1, max_length=40, description="one of: " + ", ".join(MilestoneCommand))]
    reason: Annotated[Text, Field(max_length=2000)] | None = None


class MilestoneRead(BaseModel):
    id: uuid.UUID
    challenge_id: uuid.UUID
    application_id: uuid.UUID
    lead_uscc: str
    seq: int
    title: str
    due_on: date
    tranche_share: Decimal
    tranche_fen: int
    indicators: list[str]
    status: str
    reason: str | None
    decided_at: datetime | None
    version: int


class TeamRead(BaseModel):
    """An appointed team: its application and its milestones."""

    challenge_status: str
    application: ApplicationRead
    milestones: list[MilestoneRead]
