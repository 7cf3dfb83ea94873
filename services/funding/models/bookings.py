"""Bookings of innovation resources: one firm holds one resource for a half-open interval [starts_at, ends_at).

No two live bookings (booked or delivered) of one resource overlap. Two guards keep that, for two reasons:

* **The use case books under the resource's row lock** (``SELECT … FOR UPDATE`` on PostgreSQL, the database's write
  lock on SQLite): bookings of one resource run one after the other, so the second of two racing firms reads the
  first one's booking and is refused with a 409 that names the slot and the booking holding it, and the calendar
  it checks against cannot change under it. On SQLite this is the whole guard, and it is enough: SQLite has one
  writer at a time.
* **PostgreSQL also holds the rule itself**, with an exclusion constraint over ``tstzrange(starts_at, ends_at,
  '[)')`` (btree_gist for the resource id's equality): whatever writes a booking (a path that forgets the lock, a
  repair by hand), the database refuses an overlap. A lock alone is a convention; the constraint is a fact.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, BigInteger, CheckConstraint, ForeignKey, Index, Integer, String, Text, Uuid, func, text
from sqlalchemy.dialects.postgresql import ExcludeConstraint
from sqlalchemy.orm import Mapped, mapped_column

from services.funding.models.base import Base
from shared.db import UTCDateTime, Versioned, new_id, utcnow

# The statuses that hold a resource's time (domain.resources.BLOCKING): a cancelled booking frees its slot.
LIVE_STATUSES = ("booked", "delivered")
BLOCKING_CONDITION = f"status IN ({', '.join(repr(s) for s in LIVE_STATUSES)})"


_NO_OVERLAP = ExcludeConstraint(
    ("resource_id", "="), (func.tstzrange(text("starts_at"), text("ends_at"), text("'[)'")), "&&"),
    name="ex_resource_bookings_no_overlap", using="gist", where=text(BLOCKING_CONDITION),
).ddl_if(dialect="postgresql")
# ExcludeConstraint takes no info= (it drops it): the words of its 409 (shared/uow.py) are set here.
_NO_OVERLAP.info["conflict"] = ("starts_at", "the resource is already booked for part of that time")


class Booking(Versioned, Base):
    __tablename__ = "resource_bookings"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    resource_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("innovation_resources.id"))
    enterprise_uscc: Mapped[str] = mapped_column(String(18), index=True)
    # The firm's district and sector when it booked (from funding's enterprise read model; None if not yet known):
    # the usage reports count a booking where the firm was.
    enterprise_district_code: Mapped[str | None] = mapped_column(String(6))
    enterprise_sector: Mapped[str | None] = mapped_column(String(40))
    # Copied from the resource, so that a provider's and an officer's scope reach the booking without a join.
    resource_kind: Mapped[str] = mapped_column(String(20))
    provider_name: Mapped[str] = mapped_column(String(200))
    owner_institute_id: Mapped[str | None] = mapped_column(String(100), index=True)
    owner_platform_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    district_code: Mapped[str] = mapped_column(String(6), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    quantity: Mapped[int] = mapped_column(Integer, default=1)
    fee_fen: Mapped[int] = mapped_column(BigInteger)
    # The firm's vouchers it allows the provider to redeem for this booking (ids as text).
    voucher_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(20), index=True)  # domain BookingStatus
    purpose: Mapped[str] = mapped_column(Text, default="")
    cancellation_reason: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (
        CheckConstraint("starts_at < ends_at", name="interval_not_empty"),
        CheckConstraint("quantity >= 1", name="quantity_positive"),
        CheckConstraint("fee_fen >= 0", name="fee_not_negative"),
        Index("ix_resource_bookings_resource_id_starts_at", "resource_id", "starts_at"),
        _NO_OVERLAP,
    )
