"""reviewers' declarations of interests and their assignments to applications

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
    op.create_table("reviewer_declarations",
    sa.Column("reviewer_id", sa.String(length=200), nullable=False),
    sa.Column("organisation_uscc", sa.String(length=18), nullable=True),
    sa.Column("ties", sa.JSON(), nullable=False),
    sa.Column("declared_at", UTCDateTime(), nullable=False),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint("reviewer_id", name=op.f("pk_reviewer_declarations"))
    )
    op.create_table("reviewer_assignments",
    sa.Column("id", sa.Uuid(), nullable=False),
    sa.Column("application_id", sa.Uuid(), nullable=False),
    sa.Column("reviewer_id", sa.String(length=200), nullable=False),
    sa.Column("assigned_by", sa.String(length=200), nullable=False),
    sa.Column("assigned_at", UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(["application_id"], ["applications.id"],
                            name=op.f("fk_reviewer_assignments_application_id_applications")),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_reviewer_assignments")),
    sa.UniqueConstraint("application_id", "reviewer_id", name="uq_reviewer_assignments_application_id")
    )
    op.create_index("ix_reviewer_assignments_application_id", "reviewer_assignments", ["application_id"])
    op.create_index("ix_reviewer_assignments_reviewer_id", "reviewer_assignments", ["reviewer_id"])


def downgrade() -> None:
    op.drop_table("reviewer_assignments")
    op.drop_table("reviewer_declarations")
