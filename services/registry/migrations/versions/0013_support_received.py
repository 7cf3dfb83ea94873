"""support received: public money paid to firms (and clawed back), from funding's fund.disbursed / fund.clawed_back

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

from shared.db import UTCDateTime

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "support_received",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("enterprise_id", sa.Uuid(), nullable=False),
        sa.Column("entry_key", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("application_id", sa.Uuid(), nullable=False),
        sa.Column("programme_id", sa.Uuid(), nullable=False),
        sa.Column("programme_name", sa.String(length=200), nullable=False),
        sa.Column("instrument", sa.String(length=40), nullable=False),
        sa.Column("issuer", sa.String(length=100), nullable=False),
        sa.Column("project_title", sa.String(length=200), nullable=False),
        sa.Column("moved_on", sa.Date(), nullable=False),
        sa.Column("source_event_id", sa.String(length=100), nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("amount_fen > 0", name="ck_support_received_amount_positive"),
        sa.CheckConstraint("kind IN ('disbursed', 'clawed_back')", name="ck_support_received_kind_known"),
        sa.ForeignKeyConstraint(["enterprise_id"], ["enterprises.id"],
                                name="fk_support_received_enterprise_id_enterprises"),
        sa.PrimaryKeyConstraint("id", name="pk_support_received"),
        sa.UniqueConstraint("entry_key", name="uq_support_received_entry_key"),
    )
    op.create_index("ix_support_received_enterprise_id", "support_received", ["enterprise_id"])


def downgrade() -> None:
    op.drop_table("support_received")
