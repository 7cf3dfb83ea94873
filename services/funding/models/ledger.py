"""The fund ledger (资金台账): append-only entries per programme and round (``domain.ledger``).

Rows are only ever inserted (by ``service.ledger.append_entries``, under the round's row lock); nothing updates or
deletes them. ``key`` makes a retried movement the same row: a unique index, so that even a writer that bypassed
the lock could not pay one key twice.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from services.funding.models.base import Base
from shared.db import BigIntPK, UTCDateTime, utcnow


class LedgerEntry(Base):
    """One line of a round's ledger. ``reference`` is what the money is for: ``application:<id>`` or
    ``voucher:<id>`` (None for an allocation)."""

    __tablename__ = "ledger_entries"

    # A sequence: the entries' order is the order in which the round's lock let them in.
    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    programme_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("programmes.id"))
    round_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("fund_rounds.id"))
    kind: Mapped[str] = mapped_column(String(20))  # domain.ledger.EntryKind
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    reference: Mapped[str | None] = mapped_column(String(100))
    key: Mapped[str | None] = mapped_column(String(200), unique=True,
                                            info={"conflict": ("key", "a ledger entry with this key exists")})
    entry_date: Mapped[date] = mapped_column(Date)  # the civil date of the movement (Asia/Shanghai)
    note: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        CheckConstraint("amount_fen > 0", name="amount_positive"),
        Index("ix_ledger_entries_round_reference", "round_id", "reference"),
        Index("ix_ledger_entries_round_id_id", "round_id", "id"),
    )
