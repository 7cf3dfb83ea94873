"""Expert review API models (专家评审): a reviewer's declaration of ties, assignments, score sheets, the ranking."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from services.scenarios.domain.reviews import TieKind
from services.scenarios.schemas.scenarios import USCC
from shared.types import Line, Text, decimal_between

ReviewerId = Annotated[Line, Field(min_length=1, max_length=200, description="the reviewer's token subject")]
CriterionKey = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_\-]+$")]
Score = decimal_between(-1000, 1000, 2, description="a criterion's score, within its range")


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class TieIn(_In):
    """A tie with a firm: a shareholding (持股), employment (任职), or an office (董监高)."""

    uscc: USCC
    kind: Literal[tuple(TieKind)]  # type: ignore[valid-type]


class DeclarationIn(_In):
    """利益冲突声明: the reviewer's own organisation (none for an independent expert) and every tie with a firm.
    A reviewer is assigned only once declared; a tie with an applicant or a partner keeps the reviewer off it."""

    organisation_uscc: USCC | None = None
    ties: Annotated[list[TieIn], Field(max_length=200)] = []


class DeclarationRead(BaseModel):
    reviewer_id: str
    organisation_uscc: str | None
    ties: list[dict[str, str]]
    declared_at: datetime
    updated_at: datetime
    version: int


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
