"""Expert review (专家评审): what reviewers declare of their ties, who is assigned what, and their score sheets."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, ForeignKey, Numeric, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from services.scenarios.models.base import Base
from shared.db import UTCDateTime, Versioned, new_id, utcnow
from shared.reviewers import ReviewerDeclarationColumns


class ReviewerDeclaration(Versioned, Base, ReviewerDeclarationColumns):
    """A reviewer's declaration of interests (利益冲突声明): their organisation and their ties (shareholding,
    employment, office) with firms. A reviewer is assigned only once declared; the conflict rule reads this
    (``shared.reviewers``)."""


class ReviewerAssignment(Base):
    """A reviewer assigned to score one application."""

    __tablename__ = "reviewer_assignments"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    challenge_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("challenges.id"), index=True)
    application_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("challenge_applications.id"), index=True)
    district_code: Mapped[str] = mapped_column(String(6))
    reviewer_id: Mapped[str] = mapped_column(String(200), index=True)
    assigned_by: Mapped[str] = mapped_column(String(200))
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        UniqueConstraint("application_id", "reviewer_id", name="one_assignment_per_reviewer",
                         info={"conflict": ("reviewer_id", "this reviewer is already assigned this application")}),
    )


class ScoreSheet(Base):
    """One reviewer's scores for one application, per criterion, and their weighted total (0–100). Submitted once:
    never changed afterwards."""

    __tablename__ = "score_sheets"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    challenge_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("challenges.id"), index=True)
    application_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("challenge_applications.id"), index=True)
    reviewer_id: Mapped[str] = mapped_column(String(200), index=True)
    scores: Mapped[dict[str, str]] = mapped_column(JSON)  # criterion key → score (a decimal as text)
    total: Mapped[Decimal] = mapped_column(Numeric(8, 4))
    comment: Mapped[str | None] = mapped_column(Text)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        UniqueConstraint("application_id", "reviewer_id", name="one_sheet_per_reviewer",
                         info={"conflict": ("scores", "this reviewer has already scored this application; a score "
                                                      "sheet is submitted once")}),
    )
