"""Unique slots the database holds under concurrency: one active certification per enterprise and tier, one
certificate number per tier.

Before this, both were checks in the use case, and two requests at the same moment could both pass them. A
database that already holds duplicates refuses this migration: resolve them first (docs/operations.md).

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

ACTIVE = sa.text("status = 'active'")


def upgrade() -> None:
    # The constraint first: on SQLite the batch rebuilds the table, which would not carry a partial index over.
    with op.batch_alter_table("certifications") as batch:
        batch.create_unique_constraint("uq_certifications_tier_certificate_no", ["tier", "certificate_no"])
    op.create_index("uq_certifications_active_tier", "certifications", ["enterprise_id", "tier"], unique=True,
                    postgresql_where=ACTIVE, sqlite_where=ACTIVE)


def downgrade() -> None:
    op.drop_index("uq_certifications_active_tier", table_name="certifications")
    with op.batch_alter_table("certifications") as batch:
        batch.drop_constraint("uq_certifications_tier_certificate_no", type_="unique")
