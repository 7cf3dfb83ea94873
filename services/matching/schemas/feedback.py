"""Feedback on a match (domain/feedback.py)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from services.matching.domain.feedback import Mark, Relation
from shared.types import Text

NOTE_MAX_LENGTH = 500


class FeedbackWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    mark: Mark
    note: Annotated[Text | None, Field(max_length=NOTE_MAX_LENGTH)] = None


class FeedbackRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    demand_kind: str
    demand_id: uuid.UUID
    uscc: str
    mark: Mark
    relation: Relation
    marker_role: str
    note: str | None
    version: int
    created_at: datetime
    updated_at: datetime
