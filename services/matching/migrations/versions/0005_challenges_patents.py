"""challenges and listed patents read models

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

from shared.db import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "challenges",
        sa.Column("challenge_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("background", sa.Text(), nullable=False),
        sa.Column("indicators", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("issuer_kind", sa.String(length=20), nullable=False),
        sa.Column("issuer_uscc", sa.String(length=18), nullable=True),
        sa.Column("issuer_department", sa.String(length=200), nullable=True),
        sa.Column("sector", sa.String(length=40), nullable=False),
        sa.Column("cluster", sa.String(length=60), nullable=True),
        sa.Column("industry_chain", sa.String(length=200), nullable=True),
        sa.Column("capability_tags", sa.JSON(), nullable=False),
        sa.Column("eligibility", sa.JSON(), nullable=False),
        sa.Column("district_code", sa.String(length=6), nullable=False),
        sa.Column("application_deadline", sa.Date(), nullable=False),
        sa.Column("appointed_usccs", sa.JSON(), nullable=False),
        sa.Column("source_version", sa.Integer(), nullable=False),
        sa.Column("source_event_time", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("challenge_id", name="pk_challenges"),
    )
    op.create_index("ix_challenges_issuer_uscc", "challenges", ["issuer_uscc"])
    op.create_index("ix_challenges_district_code", "challenges", ["district_code"])
    op.create_index("ix_challenges_updated_at", "challenges", ["updated_at"])
    op.create_table(
        "patents",
        sa.Column("patent_id", sa.Uuid(), nullable=False),
        sa.Column("patent_number", sa.String(length=40), nullable=False),
        sa.Column("patent_type", sa.String(length=20), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("abstract", sa.Text(), nullable=False),
        sa.Column("ipc_classes", sa.JSON(), nullable=False),
        sa.Column("holder_institute_id", sa.String(length=100), nullable=False),
        sa.Column("holder_name", sa.String(length=200), nullable=False),
        sa.Column("legal_status", sa.String(length=40), nullable=False),
        sa.Column("modes_offered", sa.JSON(), nullable=False),
        sa.Column("open_licence", sa.Boolean(), nullable=False),
        sa.Column("listed", sa.Boolean(), nullable=False),
        sa.Column("source_version", sa.Integer(), nullable=False),
        sa.Column("source_event_time", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("patent_id", name="pk_patents"),
    )
    op.create_index("ix_patents_updated_at", "patents", ["updated_at"])


def downgrade() -> None:
    op.drop_table("patents")
    op.drop_table("challenges")
