"""Expert review API models (专家评审): assignments, score sheets, the ranking (a reviewer's declaration of ties is
the kit's: ``shared.reviewers``)."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from shared.types import Line, Text, decimal_between

ReviewerId = Annotated[Line, Field(min_length=1, max_length=200, description="the reviewer's token subject")]
CriterionKey = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_\-]+$")]
Score = decimal_between(-1000, 1000, 2, description="a criterion's score, within its range")


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class AssignmentIn(_In):
    reviewer_id: ReviewerId


class AssignmentRead(BaseModel):
    id: uuid.UUID
    challenge_id: uuid.UUID
    application_id: uuid.UUID
    reviewer_id: str
    assigned_by: str
    assigned_at: datetime
    scored: bool = False


class ScoreSheetIn(_In):
    """One score per criterion of the challenge's review template (its ``review_criteria``), by key."""

    scores: Annotated[dict[CriterionKey, Score], Field(min_length=1, max_length=20)]
    comment: Annotated[Text, Field(max_length=4000)] | None = None


class ScoreSheetRead(BaseModel):
    id: uuid.UUID
    challenge_id: uuid.UUID
    application_id: uuid.UUID
    reviewer_id: str
    scores: dict[str, str]
    total: Decimal = Field(description="weighted total on a 0–100 scale")
    comment: str | None
    submitted_at: datetime


class RankedRead(BaseModel):
    application_id: str
    lead_uscc: str
    rank: int
    score: Decimal = Field(description="mean of the sheets' totals, without the highest and lowest from 5 sheets on")
    plain_mean: Decimal
    sheets: int
    trimmed: bool
    tie_broken: bool
    status: str


class RankingRead(BaseModel):
    challenge_id: uuid.UUID
    entries: list[RankedRead]
    unranked: list[str] = Field(description="applications in review without a score sheet yet")
