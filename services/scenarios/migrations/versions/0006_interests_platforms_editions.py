"""scenarios: expressions of interest, the supplier of a scenario's trial, the platform read model (flagship parks)
and yearly list editions

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

from shared.db import UTCDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("scenarios", sa.Column("supplier_uscc", sa.String(length=18), nullable=True))
    op.create_table(
        "scenario_interests",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("scenario_id", sa.Uuid(), nullable=False),
        sa.Column("enterprise_uscc", sa.String(length=18), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["scenario_id"], ["scenarios.id"], name="fk_scenario_interests_scenario_id_scenarios"),
        sa.PrimaryKeyConstraint("id", name="pk_scenario_interests"),
        sa.UniqueConstraint("scenario_id", "enterprise_uscc", name="uq_scenario_interests_scenario_id"),
    )
    op.create_index("ix_scenario_interests_enterprise_uscc", "scenario_interests", ["enterprise_uscc"])
    op.create_table(
        "platform_profiles",
        sa.Column("platform_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("platform_type", sa.String(length=40), nullable=False),
        sa.Column("district_code", sa.String(length=6), nullable=False),
        sa.Column("functional_zone", sa.String(length=40), nullable=True),
        sa.Column("operator_name", sa.String(length=200), nullable=True),
        sa.Column("flagship_years", sa.JSON(), nullable=False),
        sa.Column("registry_version", sa.Integer(), nullable=False),
        sa.Column("source_event_time", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("platform_id", name="pk_platform_profiles"),
    )
    op.create_table(
        "list_editions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("item_count", sa.Integer(), nullable=False),
        sa.Column("differences", sa.JSON(), nullable=False),
        sa.Column("previous_id", sa.Uuid(), nullable=True),
        sa.Column("published_by", sa.String(length=200), nullable=False),
        sa.Column("published_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("number >= 1", name="ck_list_editions_number_positive"),
        sa.PrimaryKeyConstraint("id", name="pk_list_editions"),
        sa.UniqueConstraint("kind", "year", "number", name="uq_list_editions_kind"),
    )


def downgrade() -> None:
    op.drop_table("list_editions")
    op.drop_table("platform_profiles")
    op.drop_index("ix_scenario_interests_enterprise_uscc", table_name="scenario_interests")
    op.drop_table("scenario_interests")
    op.drop_column("scenarios", "supplier_uscc")
