"""Applications (申报) and awards (``domain.applications``); the reviewers' declarations of interests, their
assignments and their reviews (a conflict of interest declared on one application, or a score); and the
double-support flags raised on approval (``domain.double_support``).

An award without an application (免申即享, or a challenge bounty) is an application row too, with ``origin``
``automatic`` and an ``award_key`` that makes it once per rule and firm (or per challenge).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from services.funding.models.base import Base
from shared.db import UTCDateTime, Versioned, new_id, utcnow
from shared.reviewers import ReviewerDeclarationColumns


class Application(Versioned, Base):
    """One application (or automatic award) of one enterprise to one round; money columns are what the ledger
    holds for it (``domain.applications.Application``)."""

    __tablename__ = "applications"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    enterprise_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    uscc: Mapped[str] = mapped_column(String(18), index=True)
    enterprise_name: Mapped[str] = mapped_column(String(200))
    # The firm's district when it applied (officers' scope, reports by district) and its tiers when checked.
    district_code: Mapped[str] = mapped_column(String(6), index=True)
    held_tiers: Mapped[list[str]] = mapped_column(JSON, default=list)
    programme_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("programmes.id"), index=True)
    round_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("fund_rounds.id"))
    project_title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str | None] = mapped_column(Text)
    requested_fen: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(20), index=True)  # domain.applications.ApplicationStatus
    origin: Mapped[str] = mapped_column(String(20))  # domain.applications.Origin
    approved_fen: Mapped[int | None] = mapped_column(BigInteger)
    disbursed_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    released_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    clawed_back_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    # [{"index", "milestone", "amount_fen", "condition", "planned_on", "paid_on"}] (domain.ledger.Tranche)
    tranches: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # The eligibility check: [{"rule", "met", "facts", "reason"}] and its outcome (domain.eligibility).
    eligibility: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    eligibility_outcome: Mapped[str | None] = mapped_column(String(20))
    open_checks: Mapped[list[str]] = mapped_column(JSON, default=list)
    rejection: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # {"code", "detail", "rules"}
    note: Mapped[str | None] = mapped_column(Text)
    # Automatic awards: once per rule and firm ("automatic:<rule>:<enterprise>") or per challenge ("challenge:<id>"),
    # with the explanation (which rule, which facts, which amount).
    award_key: Mapped[str | None] = mapped_column(String(200), unique=True,
                                                  info={"conflict": ("award_key", "this award was already made")})
    explanation: Mapped[str | None] = mapped_column(Text)
    approved_on: Mapped[date | None] = mapped_column(Date)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (
        CheckConstraint("requested_fen >= 0", name="requested_not_negative"),
        CheckConstraint("approved_fen IS NULL OR approved_fen > 0", name="approved_positive"),
        Index("ix_applications_round_enterprise", "round_id", "enterprise_id"),
    )


class ReviewDeclaration(Base):
    """A reviewer's declaration on one application (回避声明): a conflict of interest, or none and a score. A reviewer
    who declares a conflict gives no score."""

    __tablename__ = "review_declarations"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    application_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("applications.id"))
    reviewer: Mapped[str] = mapped_column(String(200))  # the reviewer's subject
    conflict_of_interest: Mapped[bool] = mapped_column(Boolean)
    statement: Mapped[str | None] = mapped_column(Text)
    score: Mapped[int | None] = mapped_column(Integer)
    declared_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        UniqueConstraint("application_id", "reviewer", name="uq_review_declarations_application_id",
                         info={"conflict": ("reviewer", "this reviewer has already declared on this application")}),
        CheckConstraint("score IS NULL OR (score >= 0 AND score <= 100)", name="score_range"),
        CheckConstraint("NOT conflict_of_interest OR score IS NULL", name="no_score_with_conflict"),
    )


class ReviewerDeclaration(Versioned, Base, ReviewerDeclarationColumns):
    """A reviewer's declaration of interests (利益冲突声明), once for every review: their organisation and their ties
    with firms (``shared.reviewers``). A reviewer is assigned an application only once declared, never one whose
    applicant they are tied to."""


class ReviewerAssignment(Base):
    """A reviewer assigned to review one application, by an officer of the application's district. A reviewer
    reads and reviews only the applications assigned to them."""

    __tablename__ = "reviewer_assignments"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    application_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("applications.id"), index=True)
    reviewer_id: Mapped[str] = mapped_column(String(200), index=True)  # the reviewer's token subject
    assigned_by: Mapped[str] = mapped_column(String(200))
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        UniqueConstraint("application_id", "reviewer_id", name="uq_reviewer_assignments_application_id",
                         info={"conflict": ("reviewer_id", "this reviewer is already assigned this application")}),
    )


class DoubleSupportFlag(Base):
    """重复支持: an approved award whose title resembles another award of the same firm from another programme,
    for an officer to review (``status``: open → cleared | confirmed)."""

    __tablename__ = "double_support_flags"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    application_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("applications.id"))
    other_application_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("applications.id"))
    enterprise_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    district_code: Mapped[str] = mapped_column(String(6), index=True)
    similarity: Mapped[str] = mapped_column(String(10))  # a Decimal to 4 places, as text
    identical: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="open", index=True)
    resolution: Mapped[str | None] = mapped_column(Text)
    resolved_by: Mapped[str | None] = mapped_column(String(200))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        UniqueConstraint("application_id", "other_application_id", name="uq_double_support_flags_application_id"),
    )
