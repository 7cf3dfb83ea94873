"""seedling and cultivation pools, screening runs

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
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
        "pool_entry_criteria",
        sa.Column("version", sa.String(length=60), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("parameters", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("version", name="pk_pool_entry_criteria"),
    )
    op.create_table(
        "pool_quotas",
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("district_code", sa.String(length=6), nullable=False),
        sa.Column("quota", sa.Integer(), nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("year", "district_code", name="pk_pool_quotas"),
    )
    op.create_table(
        "screening_runs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("figures_year", sa.Integer(), nullable=False),
        sa.Column("parameters", sa.JSON(), nullable=False),
        sa.Column("candidates", sa.Integer(), nullable=False),
        sa.Column("ranked", sa.Integer(), nullable=False),
        sa.Column("promoted", sa.Integer(), nullable=False),
        sa.Column("districts", sa.JSON(), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("actor_role", sa.String(length=40), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_screening_runs"),
        sa.UniqueConstraint("year", name="uq_screening_runs_year"),
    )
    op.create_table(
        "screening_results",
        sa.Column("run_id", sa.Uuid(), nullable=False),
        sa.Column("enterprise_id", sa.Uuid(), nullable=False),
        sa.Column("district_code", sa.String(length=6), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("score", sa.Numeric(8, 4), nullable=False),
        sa.Column("measures", sa.JSON(), nullable=False),
        sa.Column("promoted", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["enterprise_id"], ["enterprises.id"],
                                name="fk_screening_results_enterprise_id_enterprises", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["run_id"], ["screening_runs.id"],
                                name="fk_screening_results_run_id_screening_runs", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("run_id", "enterprise_id", name="pk_screening_results"),
    )
    op.create_index("ix_screening_results_run_id_district_code_rank", "screening_results",
                    ["run_id", "district_code", "rank"])
    op.create_table(
        "pool_changes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("enterprise_id", sa.Uuid(), nullable=False),
        sa.Column("from_pool", sa.String(length=20), nullable=True),
        sa.Column("to_pool", sa.String(length=20), nullable=True),
        sa.Column("move", sa.String(length=20), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("basis", sa.String(length=20), nullable=False),
        sa.Column("category", sa.String(length=20), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("criteria_version", sa.String(length=60), nullable=True),
        sa.Column("screening_run_id", sa.Uuid(), nullable=True),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("actor_role", sa.String(length=40), nullable=False),
        sa.Column("changed_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["enterprise_id"], ["enterprises.id"],
                                name="fk_pool_changes_enterprise_id_enterprises", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["screening_run_id"], ["screening_runs.id"],
                                name="fk_pool_changes_screening_run_id_screening_runs"),
        sa.PrimaryKeyConstraint("id", name="pk_pool_changes"),
    )
    op.create_index("ix_pool_changes_enterprise_id_changed_at", "pool_changes", ["enterprise_id", "changed_at", "id"])


def downgrade() -> None:
    raise NotImplementedError("restore from a backup instead")
