"""challenges (揭榜挂帅): challenges, applications, the appointed teams" milestones, reviewers" declarations,
assignments and score sheets

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
    op.create_table("challenges",
    sa.Column("id", sa.Uuid(), nullable=False),
    sa.Column("issuer_kind", sa.String(length=20), nullable=False),
    sa.Column("issuer_uscc", sa.String(length=18), nullable=True),
    sa.Column("issuer_department", sa.String(length=200), nullable=True),
    sa.Column("title", sa.String(length=200), nullable=False),
    sa.Column("background", sa.Text(), nullable=False),
    sa.Column("sector", sa.String(length=40), nullable=False),
    sa.Column("cluster", sa.String(length=40), nullable=True),
    sa.Column("industry_chain", sa.String(length=200), nullable=True),
    sa.Column("capability_tags", sa.JSON(), nullable=False),
    sa.Column("district_code", sa.String(length=6), nullable=False),
    sa.Column("indicators", sa.JSON(), nullable=False),
    sa.Column("bounty_total_fen", sa.BigInteger(), nullable=False),
    sa.Column("bounty_issuer_fen", sa.BigInteger(), nullable=False),
    sa.Column("bounty_public_fen", sa.BigInteger(), nullable=False),
    sa.Column("funding_class", sa.String(length=40), nullable=False),
    sa.Column("duration_months", sa.Integer(), nullable=False),
    sa.Column("application_deadline", sa.Date(), nullable=False),
    sa.Column("ip_ownership", sa.String(length=20), nullable=False),
    sa.Column("ip_note", sa.Text(), nullable=True),
    sa.Column("eligibility", sa.JSON(), nullable=False),
    sa.Column("max_teams", sa.Integer(), nullable=False),
    sa.Column("allow_consortium", sa.Boolean(), nullable=False),
    sa.Column("review_criteria", sa.JSON(), nullable=False),
    sa.Column("status", sa.String(length=20), nullable=False),
    sa.Column("status_reason", sa.Text(), nullable=True),
    sa.Column("published_at", UTCDateTime(), nullable=True),
    sa.Column("closed_at", UTCDateTime(), nullable=True),
    sa.Column("created_by", sa.String(length=200), nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.CheckConstraint("(issuer_uscc IS NULL) <> (issuer_department IS NULL)", name=op.f("ck_challenges_one_issuer")),
    sa.CheckConstraint("bounty_issuer_fen + bounty_public_fen = bounty_total_fen", name=op.f("ck_challenges_bounty_split_adds_up")),
    sa.CheckConstraint("max_teams >= 1", name=op.f("ck_challenges_at_least_one_team")),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_challenges"))
    )
    op.create_index(op.f("ix_challenges_district_code"), "challenges", ["district_code"], unique=False)
    op.create_index(op.f("ix_challenges_issuer_uscc"), "challenges", ["issuer_uscc"], unique=False)
    op.create_index(op.f("ix_challenges_sector"), "challenges", ["sector"], unique=False)
    op.create_index(op.f("ix_challenges_status"), "challenges", ["status"], unique=False)
    op.create_table("reviewer_declarations",
    sa.Column("reviewer_id", sa.String(length=200), nullable=False),
    sa.Column("organisation_uscc", sa.String(length=18), nullable=True),
    sa.Column("ties", sa.JSON(), nullable=False),
    sa.Column("declared_at", UTCDateTime(), nullable=False),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint("reviewer_id", name=op.f("pk_reviewer_declarations"))
    )
    op.create_table("challenge_applications",
    sa.Column("id", sa.Uuid(), nullable=False),
    sa.Column("challenge_id", sa.Uuid(), nullable=False),
    sa.Column("district_code", sa.String(length=6), nullable=False),
    sa.Column("lead_uscc", sa.String(length=18), nullable=False),
    sa.Column("lead_name", sa.String(length=200), nullable=False),
    sa.Column("summary", sa.Text(), nullable=False),
    sa.Column("technical_route", sa.Text(), nullable=False),
    sa.Column("budget_fen", sa.BigInteger(), nullable=False),
    sa.Column("requested_fen", sa.BigInteger(), nullable=False),
    sa.Column("partners", sa.JSON(), nullable=False),
    sa.Column("team", sa.JSON(), nullable=False),
    sa.Column("commitment_signed", sa.Boolean(), nullable=False),
    sa.Column("status", sa.String(length=20), nullable=False),
    sa.Column("reason_code", sa.String(length=40), nullable=True),
    sa.Column("reason_text", sa.Text(), nullable=True),
    sa.Column("decided_by", sa.String(length=200), nullable=True),
    sa.Column("decided_at", UTCDateTime(), nullable=True),
    sa.Column("award_fen", sa.BigInteger(), nullable=True),
    sa.Column("appointed_at", UTCDateTime(), nullable=True),
    sa.Column("appointment_reason", sa.Text(), nullable=True),
    sa.Column("acceptance", sa.String(length=20), nullable=True),
    sa.Column("submitted_by", sa.String(length=200), nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(["challenge_id"], ["challenges.id"], name=op.f("fk_challenge_applications_challenge_id_challenges")),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_challenge_applications")),
    sa.UniqueConstraint("challenge_id", "lead_uscc", name="one_application_per_lead")
    )
    op.create_index(op.f("ix_challenge_applications_challenge_id"), "challenge_applications", ["challenge_id"], unique=False)
    op.create_index(op.f("ix_challenge_applications_district_code"), "challenge_applications", ["district_code"], unique=False)
    op.create_index(op.f("ix_challenge_applications_lead_uscc"), "challenge_applications", ["lead_uscc"], unique=False)
    op.create_index(op.f("ix_challenge_applications_status"), "challenge_applications", ["status"], unique=False)
    op.create_table("challenge_milestones",
    sa.Column("id", sa.Uuid(), nullable=False),
    sa.Column("challenge_id", sa.Uuid(), nullable=False),
    sa.Column("application_id", sa.Uuid(), nullable=False),
    sa.Column("district_code", sa.String(length=6), nullable=False),
    sa.Column("lead_uscc", sa.String(length=18), nullable=False),
    sa.Column("seq", sa.Integer(), nullable=False),
    sa.Column("title", sa.String(length=200), nullable=False),
    sa.Column("due_on", sa.Date(), nullable=False),
    sa.Column("tranche_share", sa.Numeric(precision=5, scale=4), nullable=False),
    sa.Column("tranche_fen", sa.BigInteger(), nullable=False),
    sa.Column("indicators", sa.JSON(), nullable=False),
    sa.Column("status", sa.String(length=20), nullable=False),
    sa.Column("reason", sa.Text(), nullable=True),
    sa.Column("decided_by", sa.String(length=200), nullable=True),
    sa.Column("decided_at", UTCDateTime(), nullable=True),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(["application_id"], ["challenge_applications.id"], name=op.f("fk_challenge_milestones_application_id_challenge_applications")),
    sa.ForeignKeyConstraint(["challenge_id"], ["challenges.id"], name=op.f("fk_challenge_milestones_challenge_id_challenges")),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_challenge_milestones")),
    sa.UniqueConstraint("application_id", "seq", name="one_milestone_per_seq")
    )
    op.create_index(op.f("ix_challenge_milestones_application_id"), "challenge_milestones", ["application_id"], unique=False)
    op.create_index(op.f("ix_challenge_milestones_challenge_id"), "challenge_milestones", ["challenge_id"], unique=False)
    op.create_index(op.f("ix_challenge_milestones_lead_uscc"), "challenge_milestones", ["lead_uscc"], unique=False)
    op.create_table("reviewer_assignments",
    sa.Column("id", sa.Uuid(), nullable=False),
    sa.Column("challenge_id", sa.Uuid(), nullable=False),
    sa.Column("application_id", sa.Uuid(), nullable=False),
    sa.Column("district_code", sa.String(length=6), nullable=False),
    sa.Column("reviewer_id", sa.String(length=200), nullable=False),
    sa.Column("assigned_by", sa.String(length=200), nullable=False),
    sa.Column("assigned_at", UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(["application_id"], ["challenge_applications.id"], name=op.f("fk_reviewer_assignments_application_id_challenge_applications")),
    sa.ForeignKeyConstraint(["challenge_id"], ["challenges.id"], name=op.f("fk_reviewer_assignments_challenge_id_challenges")),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_reviewer_assignments")),
    sa.UniqueConstraint("application_id", "reviewer_id", name="one_assignment_per_reviewer")
    )
    op.create_index(op.f("ix_reviewer_assignments_application_id"), "reviewer_assignments", ["application_id"], unique=False)
    op.create_index(op.f("ix_reviewer_assignments_challenge_id"), "reviewer_assignments", ["challenge_id"], unique=False)
    op.create_index(op.f("ix_reviewer_assignments_reviewer_id"), "reviewer_assignments", ["reviewer_id"], unique=False)
    op.create_table("score_sheets",
    sa.Column("id", sa.Uuid(), nullable=False),
    sa.Column("challenge_id", sa.Uuid(), nullable=False),
    sa.Column("application_id", sa.Uuid(), nullable=False),
    sa.Column("reviewer_id", sa.String(length=200), nullable=False),
    sa.Column("scores", sa.JSON(), nullable=False),
    sa.Column("total", sa.Numeric(precision=8, scale=4), nullable=False),
    sa.Column("comment", sa.Text(), nullable=True),
    sa.Column("submitted_at", UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(["application_id"], ["challenge_applications.id"], name=op.f("fk_score_sheets_application_id_challenge_applications")),
    sa.ForeignKeyConstraint(["challenge_id"], ["challenges.id"], name=op.f("fk_score_sheets_challenge_id_challenges")),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_score_sheets")),
    sa.UniqueConstraint("application_id", "reviewer_id", name="one_sheet_per_reviewer")
    )
    op.create_index(op.f("ix_score_sheets_application_id"), "score_sheets", ["application_id"], unique=False)
    op.create_index(op.f("ix_score_sheets_challenge_id"), "score_sheets", ["challenge_id"], unique=False)
    op.create_index(op.f("ix_score_sheets_reviewer_id"), "score_sheets", ["reviewer_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_score_sheets_reviewer_id"), table_name="score_sheets")
    op.drop_index(op.f("ix_score_sheets_challenge_id"), table_name="score_sheets")
    op.drop_index(op.f("ix_score_sheets_application_id"), table_name="score_sheets")
    op.drop_table("score_sheets")
    op.drop_index(op.f("ix_reviewer_assignments_reviewer_id"), table_name="reviewer_assignments")
    op.drop_index(op.f("ix_reviewer_assignments_challenge_id"), table_name="reviewer_assignments")
    op.drop_index(op.f("ix_reviewer_assignments_application_id"), table_name="reviewer_assignments")
    op.drop_table("reviewer_assignments")
    op.drop_index(op.f("ix_challenge_milestones_lead_uscc"), table_name="challenge_milestones")
    op.drop_index(op.f("ix_challenge_milestones_challenge_id"), table_name="challenge_milestones")
    op.drop_index(op.f("ix_challenge_milestones_application_id"), table_name="challenge_milestones")
    op.drop_table("challenge_milestones")
    op.drop_index(op.f("ix_challenge_applications_status"), table_name="challenge_applications")
    op.drop_index(op.f("ix_challenge_applications_lead_uscc"), table_name="challenge_applications")
    op.drop_index(op.f("ix_challenge_applications_district_code"), table_name="challenge_applications")
    op.drop_index(op.f("ix_challenge_applications_challenge_id"), table_name="challenge_applications")
    op.drop_table("challenge_applications")
    op.drop_table("reviewer_declarations")
    op.drop_index(op.f("ix_challenges_status"), table_name="challenges")
    op.drop_index(op.f("ix_challenges_sector"), table_name="challenges")
    op.drop_index(op.f("ix_challenges_issuer_uscc"), table_name="challenges")
    op.drop_index(op.f("ix_challenges_district_code"), table_name="challenges")
    op.drop_table("challenges")
