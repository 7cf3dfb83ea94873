"""honour verification: what a firm declares about itself counts only once an officer has verified it

Honours gain a verification state (declared → verified | rejected) with who decided, when and why. Statistics and
evaluations count verified honours only.

Honours recorded before this revision are classified by their audit trail: an honour whose latest entry (its
recording or last correction) was made by the enterprise itself is ``declared`` and waits for an officer; one
entered or last corrected by an officer, an admin or a service is ``verified``, by that actor at that time. An
honour without an audit entry stays ``declared`` (the column's default: nothing counts unless someone vouched for
it). Evaluations whose inputs change by this are re-run by the next ``seedbed registry reevaluate-all``.

Revision ID: 0012
Revises: 0011
"""

from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from alembic import op

from shared.db import UTCDateTime

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_BATCH = 1000


def _latest_entries(connection: sa.Connection) -> dict[str, Any]:
    """honour id → the latest audit row that recorded or corrected it."""
    audit = sa.table("audit_log", sa.column("id", sa.BigInteger), sa.column("actor", sa.String),
                     sa.column("actor_role", sa.String), sa.column("action", sa.String),
                     sa.column("entity_type", sa.String), sa.column("changes", sa.JSON),
                     sa.column("occurred_at", UTCDateTime()))
    latest: dict[str, Any] = {}
    # yield_per on the statement, not the connection (which would keep it for alembic's own statements).
    rows = connection.execute(
        sa.select(audit.c.actor, audit.c.actor_role, audit.c.changes, audit.c.occurred_at)
        .where(audit.c.entity_type == "honour", audit.c.action.in_(("honour.add", "honour.update")))
        .order_by(audit.c.id).execution_options(yield_per=_BATCH))
    for row in rows:
        honour_id = (row.changes or {}).get("honour_id")
        if honour_id:
            latest[str(honour_id)] = row
    return latest


def _chunks(items: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(items), _BATCH):
        yield items[start:start + _BATCH]


def upgrade() -> None:
    with op.batch_alter_table("honours") as batch:
        batch.add_column(sa.Column("verification", sa.String(length=20), server_default="declared", nullable=False))
        batch.add_column(sa.Column("verified_by", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("verified_at", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("verification_note", sa.Text(), nullable=True))

    connection = op.get_bind()
    honours = sa.table("honours", sa.column("id", sa.Uuid), sa.column("verification", sa.String),
                       sa.column("verified_by", sa.String), sa.column("verified_at", UTCDateTime()))
    existing = {str(honour_id): honour_id for honour_id in connection.execute(sa.select(honours.c.id)).scalars()}
    vouched = [
        {"honour_id": existing[honour_id], "actor": entry.actor, "at": entry.occurred_at}
        for honour_id, entry in _latest_entries(connection).items()
        if honour_id in existing and entry.actor_role != "enterprise"
    ]
    statement = (sa.update(honours).where(honours.c.id == sa.bindparam("honour_id"))
                 .values(verification="verified", verified_by=sa.bindparam("actor"), verified_at=sa.bindparam("at")))
    for chunk in _chunks(vouched):
        connection.execute(statement, chunk)


def downgrade() -> None:
    with op.batch_alter_table("honours") as batch:
        batch.drop_column("verification_note")
        batch.drop_column("verified_at")
        batch.drop_column("verified_by")
        batch.drop_column("verification")
