"""Application (申报) API models: create, the transition command, reads with the eligibility check's reasons and
the tranches; reviewers' declarations; double-support flags; 免申即享 runs."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from services.funding.domain.applications import Action, RejectionCode
from services.funding.domain.ledger import TrancheCondition
from services.funding.schemas.common import RuleIn, ShortLine, Strict_, Title
from shared.types import Date, Line, PositiveFen, Text, integer_between

Share = Annotated[str, Field(pattern=r"^(0(\.[0-9]{1,6})?|1(\.0{1,6})?)$", examples=["0.4"],
                             description="a decimal fraction in [0, 1] as a string (never a float)")]
Note = Annotated[Text, Field(max_length=2000)]


class ApplicationCreate(Strict_):
    """A draft application to a round. An enterprise applies for itself (``enterprise_id`` left out); an officer
    names the firm."""

    round_id: uuid.UUID
    enterprise_id: uuid.UUID | None = None
    project_title: Title = Field(examples=["基于机器视觉的坯布瑕疵在线检测系统研发"])
    summary: Annotated[Text, Field(max_length=5000)] | None = None
    requested_fen: PositiveFen


class ApplicationUpdate(Strict_):
    """A change of a draft by the applicant firm: only the fields sent change (``summary: null`` clears it)."""

    project_title: Title | None = None
    summary: Annotated[Text, Field(max_length=5000)] | None = None
    requested_fen: PositiveFen | None = None


class RejectionIn(Strict_):
    code: Literal[tuple(RejectionCode)]  # type: ignore[valid-type]
    detail: Annotated[Text, Field(min_length=1, max_length=2000)]


class TrancheIn(Strict_):
    """One tranche of the agreement: the milestone that releases it and its share of the approved amount (the
    shares add up to exactly 1; the last tranche takes the remainder of the rounding)."""

    milestone: Annotated[Line, Field(min_length=1, max_length=200)]
    share: Share
    condition: Literal[tuple(TrancheCondition)] = "milestone"  # type: ignore[valid-type]
    planned_on: Date | None = None


class ApplicationTransition(Strict_):
    """One step (``domain.applications.TRANSITIONS``): ``amount_fen`` to approve (or to claw back part);
    ``rejection`` to reject; ``tranches`` to sign the agreement (none: one tranche of the whole amount);
    ``tranche_index`` to disburse; ``note`` to withdraw, decline, close early (required) or claw back (required)."""

    action: Literal[tuple(a.value for a in Action if a not in (Action.CONFIRM_ELIGIBLE,  # type: ignore[misc]
                                                                 Action.REFUSE_INELIGIBLE))]
    amount_fen: PositiveFen | None = None
    rejection: RejectionIn | None = None
    tranches: Annotated[list[TrancheIn], Field(max_length=24)] = []
    tranche_index: integer_between(0, 23) | None = None  # type: ignore[valid-type]
    note: Note = ""


class RuleResultRead(BaseModel):
    rule: str
    met: bool | None = Field(description="None: open (a fact unknown, or a reviewer decides)")
    facts: dict[str, str]
    reason: str


class TrancheRead(BaseModel):
    index: int
    milestone: str
    amount_fen: int
    condition: str
    planned_on: date | None
    paid_on: date | None


class RejectionRead(BaseModel):
    code: str
    detail: str
    rules: list[str]


class ReviewSummary(BaseModel):
    assigned: int = Field(description="reviewers assigned")
    declarations: int
    conflicts_of_interest: int
    scores: int
    mean_score: float | None


class ApplicationRead(BaseModel):
    id: uuid.UUID
    enterprise_id: uuid.UUID
    uscc: str
    enterprise_name: str
    district_code: str
    programme_id: uuid.UUID
    round_id: uuid.UUID
    project_title: str
    summary: str | None
    requested_fen: int
    status: str
    origin: str
    approved_fen: int | None
    disbursed_fen: int
    released_fen: int
    clawed_back_fen: int
    tranches: list[TrancheRead]
    eligibility_outcome: str | None
    eligibility: list[RuleResultRead] | None
    open_checks: list[str]
    rejection: RejectionRead | None
    note: str | None
    award_key: str | None
    explanation: str | None = Field(description="免申即享 and bounties: which rule, which facts, which amount")
    approved_on: date | None
    submitted_at: datetime | None
    decided_at: datetime | None
    created_at: datetime
    updated_at: datetime
    version: int
    allowed_actions: list[str] = Field(description="what the caller may do next")
    reviews: ReviewSummary | None = None


class ReviewCreate(Strict_):
    """回避声明 and score: a reviewer with a conflict of interest declares it and gives no score."""

    conflict_of_interest: bool
    statement: Note | None = None
    score: integer_between(0, 100) | None = None  # type: ignore[valid-type]


class AssignmentCreate(Strict_):
    reviewer_id: Annotated[Line, Field(min_length=1, max_length=200, description="the reviewer's token subject")]


class AssignmentRead(BaseModel):
    id: uuid.UUID
    application_id: uuid.UUID
    reviewer_id: str
    assigned_by: str
    assigned_at: datetime


class ReviewRead(BaseModel):
    id: uuid.UUID
    application_id: uuid.UUID
    reviewer: str
    conflict_of_interest: bool
    statement: str | None
    score: int | None
    declared_at: datetime


class DoubleSupportRead(BaseModel):
    id: uuid.UUID
    application_id: uuid.UUID
    other_application_id: uuid.UUID
    enterprise_id: uuid.UUID
    district_code: str
    similarity: str
    identical: bool
    reason: str
    status: str
    resolution: str | None
    resolved_by: str | None
    resolved_at: datetime | None
    created_at: datetime


class DoubleSupportResolve(Strict_):
    decision: Literal["cleared", "confirmed"]
    resolution: Annotated[Text, Field(min_length=1, max_length=2000)]


class AutomaticAwardRunCreate(Strict_):
    """One 免申即享 item run over the enterprise read model: who qualifies (rules as data), and the dated amount it
    pays (``issuer`` + ``amount_item`` in /v1/dated-amounts, in force today)."""

    code: Annotated[Line, Field(min_length=1, max_length=80, pattern=r"^[a-z0-9][a-z0-9_-]*$")] = Field(
        examples=["huzhou-2026-hnte-first-recognition"])
    title: Title = Field(examples=["高新技术企业首次认定奖励"])
    eligibility: Annotated[list[RuleIn], Field(min_length=1, max_length=30)]
    issuer: ShortLine = Field(examples=["湖州市"])
    amount_item: Annotated[Line, Field(min_length=1, max_length=100)] = Field(examples=["hnte_first_recognition"])


class AwardMade(BaseModel):
    application_id: uuid.UUID
    enterprise_id: uuid.UUID
    uscc: str
    amount_fen: int
    explanation: str


class AwardSkipped(BaseModel):
    enterprise_id: uuid.UUID
    uscc: str
    reason: str
    detail: str


class AutomaticAwardRunRead(BaseModel):
    rule_code: str
    round_id: uuid.UUID
    on: date
    amount_fen: int
    amount_source: str
    awards: list[AwardMade]
    skipped: list[AwardSkipped]
    not_eligible: int
    total_fen: int
