"""platforms, tenants, flagship lists and guidance visits

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
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
        "platforms",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("platform_type", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("operator_name", sa.String(length=200), nullable=False),
        sa.Column("operator_uscc", sa.String(length=18), nullable=False),
        sa.Column("address", sa.String(length=400), nullable=False),
        sa.Column("longitude", sa.Float(), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=False),
        sa.Column("district_code", sa.String(length=6), nullable=False),
        sa.Column("functional_zone", sa.String(length=40), nullable=True),
        sa.Column("positioning", sa.JSON(), nullable=False),
        sa.Column("floor_area_m2", sa.Integer(), nullable=True),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("services_offered", sa.JSON(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint("capacity >= 0", name="ck_platforms_capacity_not_negative"),
        sa.PrimaryKeyConstraint("id", name="pk_platforms"),
        sa.UniqueConstraint("name", name="uq_platforms_name"),
    )
    op.create_index("ix_platforms_platform_type", "platforms", ["platform_type"])
    op.create_index("ix_platforms_operator_uscc", "platforms", ["operator_uscc"])
    op.create_index("ix_platforms_district_code", "platforms", ["district_code"])

    op.create_table(
        "platform_tenancies",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("platform_id", sa.Uuid(), nullable=False),
        sa.Column("enterprise_id", sa.Uuid(), nullable=False),
        sa.Column("entered_on", sa.Date(), nullable=False),
        sa.Column("left_on", sa.Date(), nullable=True),
        sa.Column("exit_kind", sa.String(length=20), nullable=True),
        sa.Column("exit_reason", sa.Text(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("left_on IS NULL OR left_on >= entered_on", name="ck_platform_tenancies_left_after_entry"),
        sa.ForeignKeyConstraint(["platform_id"], ["platforms.id"], name="fk_platform_tenancies_platform_id_platforms"),
        sa.ForeignKeyConstraint(["enterprise_id"], ["enterprises.id"],
                                name="fk_platform_tenancies_enterprise_id_enterprises", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_platform_tenancies"),
    )
    op.create_index("ix_platform_tenancies_platform_id", "platform_tenancies", ["platform_id"])
    # One current tenancy per enterprise (partial unique index; both backends support it).
    op.create_index("ix_platform_tenancies_enterprise_id", "platform_tenancies", ["enterprise_id"], unique=True,
                    postgresql_where=sa.text("left_on IS NULL"), sqlite_where=sa.text("left_on IS NULL"))

    op.create_table(
        "platform_flagship_listings",
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("platform_id", sa.Uuid(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("listed_at", UTCDateTime(), nullable=False),
        sa.Column("listed_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["platform_id"], ["platforms.id"],
                                name="fk_platform_flagship_listings_platform_id_platforms"),
        sa.PrimaryKeyConstraint("year", "platform_id", name="pk_platform_flagship_listings"),
    )
    op.create_index("ix_platform_flagship_listings_platform_id", "platform_flagship_listings", ["platform_id"])

    # enterprises.platform_id existed since 0002 without a foreign key (platforms did not exist yet).
    with op.batch_alter_table("enterprises") as batch:
        batch.create_foreign_key("fk_enterprises_platform_id_platforms", "platforms", ["platform_id"], ["id"])

    op.create_table(
        "guidance_visits",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("enterprise_id", sa.Uuid(), nullable=False),
        sa.Column("visited_on", sa.Date(), nullable=False),
        sa.Column("officer", sa.String(length=200), nullable=False),
        sa.Column("topics", sa.JSON(), nullable=False),
        sa.Column("problems_raised", sa.JSON(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("internal_notes", sa.Text(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["enterprise_id"], ["enterprises.id"],
                                name="fk_guidance_visits_enterprise_id_enterprises", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_guidance_visits"),
    )
    op.create_index("ix_guidance_visits_enterprise_id", "guidance_visits", ["enterprise_id", "visited_on"])
    op.create_index("ix_guidance_visits_officer", "guidance_visits", ["officer"])

    op.create_table(
        "visit_follow_ups",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("visit_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("owner", sa.String(length=100), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("closed_by", sa.String(length=200), nullable=True),
        sa.Column("resolution", sa.Text(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["visit_id"], ["guidance_visits.id"],
                                name="fk_visit_follow_ups_visit_id_guidance_visits", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_visit_follow_ups"),
    )
    op.create_index("ix_visit_follow_ups_visit_id", "visit_follow_ups", ["visit_id"])
    op.create_index("ix_visit_follow_ups_status", "visit_follow_ups", ["status", "due_on"])


def downgrade() -> None:
    raise NotImplementedError("restore from a backup instead")
