"""Bulk imports run in the background (批量导入任务): their state, for the caller to poll, and the report at the end."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from services.registry.models.base import Base
from shared.db import UTCDateTime, utcnow


class ImportJob(Base):
    """An import of more rows than a request should wait for (service.imports.BACKGROUND_ROWS). Bookkeeping, not a
    record of the programme: the import's effects carry their own audit entries, and this row only says how far it
    got. Its id is the import's id (the report's ``import_id`` and the audit entries' entity id)."""

    __tablename__ = "import_jobs"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # enterprises | figures
    file_name: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(10))  # queued | running | done | failed
    # Data rows the file holds, as counted when it was accepted (the report counts them again, exactly).
    rows: Mapped[int] = mapped_column(Integer)
    # Who asked (the token's subject and role): only they, and admins, may read the job.
    created_by: Mapped[str] = mapped_column(String(200))
    created_by_role: Mapped[str] = mapped_column(String(20))
    request_id: Mapped[str | None] = mapped_column(String(100))
    # The API process that runs it (its host name: the pod's name), and when that process last said it still does:
    # a job whose process stopped is marked failed (service.imports.ImportJobs).
    owner: Mapped[str] = mapped_column(String(255))
    heartbeat_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When done: the ImportReport; when failed: problem details (status, title, detail).
    report: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    problem: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    # Unfinished jobs are looked up by status at every start (and when a poll finds one gone quiet).
    __table_args__ = (Index("ix_import_jobs_status", "status", "heartbeat_at"),)
