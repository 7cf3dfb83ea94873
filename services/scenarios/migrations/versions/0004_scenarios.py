"""scenarios: the entries of the industrial-chain scenario list (产业链场景应用清单)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

from shared.db import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "scenarios",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("publisher_kind", sa.String(length=20), nullable=False),
        sa.Column("publisher_uscc", sa.String(length=18), nullable=True),
        sa.Column("publisher_department", sa.String(length=200), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("industry_chain", sa.String(length=200), nullable=True),
        sa.Column("kind", sa.String(length=40), nullable=True),
        sa.Column("sector", sa.String(length=40), nullable=False),
        sa.Column("cluster", sa.String(length=40), nullable=True),
        sa.Column("capability_tags", sa.JSON(), nullable=False),
        sa.Column("deliverable", sa.Text(), nullable=False),
        sa.Column("budget_min_fen", sa.BigInteger(), nullable=True),
        sa.Column("budget_max_fen", sa.BigInteger(), nullable=True),
        sa.Column("district_code", sa.String(length=6), nullable=False),
        sa.Column("functional_zone", sa.String(length=40), nullable=True),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("contact_name", sa.String(length=100), nullable=True),
        sa.Column("contact_phone", sa.String(length=40), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=True),
        sa.Column("closing_reason", sa.Text(), nullable=True),
        sa.Column("closed_by", sa.String(length=200), nullable=True),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.Column("published_at", UTCDateTime(), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint("budget_min_fen IS NULL OR budget_max_fen IS NULL OR budget_min_fen <= budget_max_fen",
                           name="ck_scenarios_budget_range_ordered"),
        sa.CheckConstraint("(publisher_uscc IS NULL) <> (publisher_department IS NULL)",
                           name="ck_scenarios_one_publisher"),
        sa.PrimaryKeyConstraint("id", name="pk_scenarios"),
    )
    op.create_index("ix_scenarios_publisher_uscc", "scenarios", ["publisher_uscc"])
    op.create_index("ix_scenarios_sector", "scenarios", ["sector"])
    op.create_index("ix_scenarios_district_code", "scenarios", ["district_code"])
    op.create_index("ix_scenarios_status", "scenarios", ["status"])


def downgrade() -> None:
    op.drop_table("scenarios")
