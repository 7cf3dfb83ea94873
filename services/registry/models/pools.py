"""The two libraries (两库): pool history, entry-criteria versions, per-district quotas and annual screenings.

The firm's current pool is ``Enterprise.pool`` (kept for filtering); :class:`PoolChange` is its history.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    PrimaryKeyConstraint,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from services.registry.models.base import Base
from shared.db import UTCDateTime, new_id, utcnow


class PoolChange(Base):
    """One move of a firm into, between or out of 种苗库 / 培育库: from, to, year, reason and who decided."""

    __tablename__ = "pool_changes"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    enterprise_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("enterprises.id", ondelete="CASCADE"))
    from_pool: Mapped[str | None] = mapped_column(String(20))
    to_pool: Mapped[str | None] = mapped_column(String(20))
    move: Mapped[str] = mapped_column(String(20))  # entry | promotion | demotion | exit
    # The programme year the change counts for (a screening's year; otherwise the officer's, default this year).
    year: Mapped[int] = mapped_column(Integer)
    basis: Mapped[str] = mapped_column(String(20))  # rule | decision | screening
    category: Mapped[str | None] = mapped_column(String(20))  # seed | good_seedling (entry by rule)
    reason: Mapped[str] = mapped_column(Text)
    criteria_version: Mapped[str | None] = mapped_column(String(60))
    screening_run_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("screening_runs.id"))
    actor: Mapped[str] = mapped_column(String(200))
    actor_role: Mapped[str] = mapped_column(String(40))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_pool_changes_enterprise_id_changed_at", "enterprise_id", "changed_at", "id"),)


class PoolEntryCriteria(Base):
    """A published version of the seedling-pool entry rule (domain.pools.EntryCriteria as plain data). The
    built-in default (润苗计划) is not stored: it is code, and every stored version competes with it by date."""

    __tablename__ = "pool_entry_criteria"

    version: Mapped[str] = mapped_column(String(60), primary_key=True)
    effective_from: Mapped[date] = mapped_column(Date)
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    # Two administrators publishing one version at once: the key decides, the unit of work answers the loser 409.
    __table_args__ = (PrimaryKeyConstraint("version", info={"conflict": (
        "version", "this criteria version already exists; publish a new version")}),)


class PoolQuota(Base):
    """How many seedlings a district may promote to 培育库 in a year's screening."""

    __tablename__ = "pool_quotas"

    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    district_code: Mapped[str] = mapped_column(String(6), primary_key=True)
    quota: Mapped[int] = mapped_column(Integer)
    updated_by: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    # A year's quotas are replaced as a whole: two replacements racing collide on the key, and the loser is 409.
    __table_args__ = (PrimaryKeyConstraint("year", "district_code", info={"conflict": (
        "year", "the year's quotas were set by another request at the same moment; read them and retry")}),)


class ScreeningRun(Base):
    """The annual screening (年度遴选) of a year: at most one per year (that is what makes the job idempotent),
    with the parameters it used and what it did."""

    __tablename__ = "screening_runs"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    year: Mapped[int] = mapped_column(Integer)
    figures_year: Mapped[int] = mapped_column(Integer)
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON)  # domain.plain.to_plain(ScreeningParameters)
    candidates: Mapped[int] = mapped_column(Integer)  # seedlings at the time of the run
    ranked: Mapped[int] = mapped_column(Integer)  # those with figures for figures_year
    promoted: Mapped[int] = mapped_column(Integer)
    districts: Mapped[list[dict[str, Any]]] = mapped_column(JSON)  # per district: quota, ranked, promoted
    actor: Mapped[str] = mapped_column(String(200))
    actor_role: Mapped[str] = mapped_column(String(40))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # The year's slot: of two runs of one year, the second to claim it is answered 409.
    __table_args__ = (UniqueConstraint("year", info={"conflict": (
        "year", "the year was screened by a concurrent run; read its screening")}),)


class ScreeningResult(Base):
    """One ranked seedling of a screening: its score, the measures behind it, its rank and whether it was
    promoted, so a firm that was not promoted can be told why."""

    __tablename__ = "screening_results"

    run_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("screening_runs.id", ondelete="CASCADE"),
                                              primary_key=True)
    enterprise_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("enterprises.id", ondelete="CASCADE"),
                                                     primary_key=True)
    district_code: Mapped[str] = mapped_column(String(6))
    rank: Mapped[int] = mapped_column(Integer)
    score: Mapped[Decimal] = mapped_column(Numeric(8, 4))
    # R&D intensity, revenue growth (Decimal strings; "Infinity" for growth from zero), IP gained, financing (fen).
    measures: Mapped[dict[str, Any]] = mapped_column(JSON)
    promoted: Mapped[bool] = mapped_column(Boolean)

    __table_args__ = (Index("ix_screening_results_run_id_district_code_rank", "run_id", "district_code", "rank"),)
