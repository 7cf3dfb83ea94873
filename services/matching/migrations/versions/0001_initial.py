"""initial: enterprise profiles read model, outbox, inbox, audit log

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""
import sqlalchemy as sa
from alembic import op

from shared.db import UTCDateTime
from shared.migrations import create_bus_tables_v1

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_bus_tables_v1()
    op.create_table(
        "enterprise_profiles",
        sa.Column("enterprise_id", sa.Uuid(), nullable=False),
        sa.Column("uscc", sa.String(length=18), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("district_code", sa.String(length=6), nullable=False),
        sa.Column("industry_code", sa.String(length=5), nullable=True),
        sa.Column("established_on", sa.Date(), nullable=True),
        sa.Column("main_products", sa.Text(), nullable=True),
        sa.Column("source_event_time", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("enterprise_id", name="pk_enterprise_profiles"),
        sa.UniqueConstraint("uscc", name="uq_enterprise_profiles_uscc"),
    )
    op.create_index("ix_enterprise_profiles_district_code", "enterprise_profiles", ["district_code"])


def downgrade() -> None:
    raise NotImplementedError("the initial revision is not downgraded; restore from a backup instead")
