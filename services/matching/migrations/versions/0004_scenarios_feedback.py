"""scenarios read model, match feedback, and the updated_at indexes each API process polls for its search index

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
    op.create_index("ix_enterprise_profiles_updated_at", "enterprise_profiles", ["updated_at"])
    op.create_table(
        "scenarios",
        sa.Column("scenario_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("publisher_kind", sa.String(length=20), nullable=False),
        sa.Column("publisher_uscc", sa.String(length=18), nullable=True),
        sa.Column("publisher_department", sa.String(length=200), nullable=True),
        sa.Column("sector", sa.String(length=40), nullable=False),
        sa.Column("cluster", sa.String(length=60), nullable=True),
        sa.Column("industry_chain", sa.String(length=200), nullable=True),
        sa.Column("capability_tags", sa.JSON(), nullable=False),
        sa.Column("deliverable", sa.Text(), nullable=True),
        sa.Column("district_code", sa.String(length=6), nullable=False),
        sa.Column("functional_zone", sa.String(length=40), nullable=True),
        sa.Column("budget_min_fen", sa.BigInteger(), nullable=True),
        sa.Column("budget_max_fen", sa.BigInteger(), nullable=True),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=True),
        sa.Column("source_version", sa.Integer(), nullable=False),
        sa.Column("source_event_time", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("scenario_id", name="pk_scenarios"),
    )
    op.create_index("ix_scenarios_publisher_uscc", "scenarios", ["publisher_uscc"])
    op.create_index("ix_scenarios_district_code", "scenarios", ["district_code"])
    op.create_index("ix_scenarios_updated_at", "scenarios", ["updated_at"])
    op.create_table(
        "match_feedback",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("demand_kind", sa.String(length=20), nullable=False),
        sa.Column("demand_id", sa.Uuid(), nullable=False),
        sa.Column("uscc", sa.String(length=18), nullable=False),
        sa.Column("marker", sa.String(length=200), nullable=False),
        sa.Column("marker_role", sa.String(length=20), nullable=False),
        sa.Column("relation", sa.String(length=20), nullable=False),
        sa.Column("mark", sa.String(length=20), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_match_feedback"),
        sa.UniqueConstraint("marker", "demand_kind", "demand_id", "uscc", name="uq_match_feedback_marker_match"),
    )
    op.create_index("ix_match_feedback_uscc", "match_feedback", ["uscc"])
    op.create_index("ix_match_feedback_updated_at", "match_feedback", ["updated_at"])


def downgrade() -> None:
    op.drop_table("match_feedback")
    op.drop_table("scenarios")
    op.drop_index("ix_enterprise_profiles_updated_at", "enterprise_profiles")
