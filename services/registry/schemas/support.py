"""Support received (资金支持) as the registry shows it with a firm's record, and in the statistics."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, Field


class SupportMovementRead(BaseModel):
    id: uuid.UUID
    kind: str = Field(description="disbursed (拨付) or clawed_back (追回)")
    amount_fen: int
    application_id: uuid.UUID
    programme_id: uuid.UUID
    programme_name: str
    instrument: str
    issuer: str
    project_title: str
    moved_on: date
    entry_key: str
    recorded_at: datetime


class SupportProgrammeRead(BaseModel):
    programme_id: uuid.UUID
    programme_name: str
    instrument: str
    issuer: str
    net_fen: int


class SupportRead(BaseModel):
    enterprise_id: uuid.UUID
    disbursed_fen: int
    clawed_back_fen: int
    net_fen: int = Field(description="disbursed less clawed back")
    programmes: list[SupportProgrammeRead]
    movements: list[SupportMovementRead]


class SupportGroup(BaseModel):
    district_code: str
    instrument: str
    net_fen: int
    firms: int


class SupportStatisticsRead(BaseModel):
    net_fen: int
    firms_supported: int
    groups: list[SupportGroup]
