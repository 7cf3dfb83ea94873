"""scenarios: invitations (邀约) of the firms matching recommends for a scenario or a challenge, and their answers

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

from shared.db import UTCDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "invitations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("demand_kind", sa.String(length=20), nullable=False),
        sa.Column("demand_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("district_code", sa.String(length=6), nullable=False),
        sa.Column("enterprise_uscc", sa.String(length=18), nullable=False),
        sa.Column("enterprise_id", sa.Uuid(), nullable=True),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("matched_terms", sa.JSON(), nullable=False),
        sa.Column("matched_tags", sa.JSON(), nullable=False),
        sa.Column("contributions", sa.JSON(), nullable=False),
        sa.Column("recommended_at", UTCDateTime(), nullable=False),
        sa.Column("source_event_id", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("decline_code", sa.String(length=40), nullable=True),
        sa.Column("decline_reason", sa.Text(), nullable=True),
        sa.Column("interest_id", sa.Uuid(), nullable=True),
        sa.Column("answered_by", sa.String(length=200), nullable=True),
        sa.Column("answered_at", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint("(status = 'declined') = (decline_code IS NOT NULL)",
                           name="ck_invitations_declined_with_a_code"),
        sa.ForeignKeyConstraint(["interest_id"], ["scenario_interests.id"],
                                name="fk_invitations_interest_id_scenario_interests"),
        sa.PrimaryKeyConstraint("id", name="pk_invitations"),
        sa.UniqueConstraint("demand_id", "enterprise_uscc", name="uq_invitations_demand_id"),
    )
    op.create_index("ix_invitations_district_code", "invitations", ["district_code"])
    op.create_index("ix_invitations_enterprise_uscc", "invitations", ["enterprise_uscc"])
    op.create_index("ix_invitations_status", "invitations", ["status"])


def downgrade() -> None:
    op.drop_index("ix_invitations_status", table_name="invitations")
    op.drop_index("ix_invitations_enterprise_uscc", table_name="invitations")
    op.drop_index("ix_invitations_district_code", table_name="invitations")
    op.drop_table("invitations")
