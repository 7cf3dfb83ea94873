"""funding: fund pools, programmes, rounds (with their ledger sums), dated amounts, the ledger, applications,
review declarations and double-support flags

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
    op.create_table("dated_amounts",
    sa.Column("id", sa.Uuid(), nullable=False),
    sa.Column("issuer", sa.String(length=100), nullable=False),
    sa.Column("item", sa.String(length=100), nullable=False),
    sa.Column("amount_fen", sa.BigInteger(), nullable=False),
    sa.Column("effective_from", sa.Date(), nullable=False),
    sa.Column("effective_until", sa.Date(), nullable=True),
    sa.Column("ceiling", sa.Boolean(), nullable=False),
    sa.Column("source", sa.Text(), nullable=True),
    sa.Column("confidence", sa.String(length=1), nullable=False),
    sa.Column("created_by", sa.String(length=200), nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.CheckConstraint("amount_fen > 0", name=op.f("ck_dated_amounts_amount_positive")),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_dated_amounts"))
    )
    op.create_index("uq_dated_amounts_issuer", "dated_amounts", ["issuer", "item", "effective_from"], unique=True)

    op.create_table("fund_pools",
    sa.Column("id", sa.Uuid(), nullable=False),
    sa.Column("name", sa.String(length=200), nullable=False),
    sa.Column("issuer", sa.String(length=100), nullable=False),
    sa.Column("issuer_level", sa.String(length=20), nullable=False),
    sa.Column("district_code", sa.String(length=6), nullable=True),
    sa.Column("budget_fen", sa.BigInteger(), nullable=False),
    sa.Column("opens_on", sa.Date(), nullable=False),
    sa.Column("closes_on", sa.Date(), nullable=False),
    sa.Column("created_by", sa.String(length=200), nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.CheckConstraint("budget_fen > 0", name=op.f("ck_fund_pools_budget_positive")),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_fund_pools"))
    )
    op.create_index("ix_fund_pools_district_code", "fund_pools", ["district_code"])

    op.create_table("programmes",
    sa.Column("id", sa.Uuid(), nullable=False),
    sa.Column("pool_id", sa.Uuid(), nullable=False),
    sa.Column("name", sa.String(length=200), nullable=False),
    sa.Column("instrument", sa.String(length=40), nullable=False),
    sa.Column("mode", sa.String(length=20), nullable=False),
    sa.Column("issuer", sa.String(length=100), nullable=False),
    sa.Column("issuer_level", sa.String(length=20), nullable=False),
    sa.Column("district_code", sa.String(length=6), nullable=True),
    sa.Column("budget_fen", sa.BigInteger(), nullable=False),
    sa.Column("per_enterprise_cap_fen", sa.BigInteger(), nullable=False),
    sa.Column("opens_on", sa.Date(), nullable=False),
    sa.Column("closes_on", sa.Date(), nullable=False),
    sa.Column("eligibility", sa.JSON(), nullable=False),
    sa.Column("conflict_group", sa.String(length=100), nullable=True),
    sa.Column("source", sa.Text(), nullable=True),
    sa.Column("created_by", sa.String(length=200), nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.CheckConstraint("budget_fen > 0", name=op.f("ck_programmes_budget_positive")),
    sa.CheckConstraint("per_enterprise_cap_fen > 0 AND per_enterprise_cap_fen <= budget_fen", name=op.f("ck_programmes_cap_within_budget")),
    sa.ForeignKeyConstraint(["pool_id"], ["fund_pools.id"], name=op.f("fk_programmes_pool_id_fund_pools")),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_programmes"))
    )
    op.create_index("ix_programmes_district_code", "programmes", ["district_code"])
    op.create_index("ix_programmes_instrument", "programmes", ["instrument"])
    op.create_index("ix_programmes_pool_id", "programmes", ["pool_id"])

    op.create_table("fund_rounds",
    sa.Column("id", sa.Uuid(), nullable=False),
    sa.Column("programme_id", sa.Uuid(), nullable=False),
    sa.Column("name", sa.String(length=200), nullable=False),
    sa.Column("district_code", sa.String(length=6), nullable=True),
    sa.Column("per_enterprise_cap_fen", sa.BigInteger(), nullable=True),
    sa.Column("opens_on", sa.Date(), nullable=False),
    sa.Column("closes_on", sa.Date(), nullable=False),
    sa.Column("eligibility", sa.JSON(), nullable=False),
    sa.Column("pays_challenge_bounties", sa.Boolean(), nullable=False),
    sa.Column("created_by", sa.String(length=200), nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
    sa.Column("allocated_fen", sa.BigInteger(), nullable=False),
    sa.Column("committed_fen", sa.BigInteger(), nullable=False),
    sa.Column("disbursed_fen", sa.BigInteger(), nullable=False),
    sa.Column("released_fen", sa.BigInteger(), nullable=False),
    sa.Column("clawed_back_fen", sa.BigInteger(), nullable=False),
    sa.Column("voucher_issued_fen", sa.BigInteger(), nullable=False),
    sa.Column("voucher_redeemed_fen", sa.BigInteger(), nullable=False),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.CheckConstraint("committed_fen + voucher_issued_fen - released_fen <= allocated_fen", name=op.f("ck_fund_rounds_within_budget")),
    sa.ForeignKeyConstraint(["programme_id"], ["programmes.id"], name=op.f("fk_fund_rounds_programme_id_programmes")),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_fund_rounds"))
    )
    op.create_index("ix_fund_rounds_district_code", "fund_rounds", ["district_code"])
    op.create_index("ix_fund_rounds_programme_id", "fund_rounds", ["programme_id"])
    op.create_index("uq_fund_rounds_pays_challenge_bounties", "fund_rounds", ["pays_challenge_bounties"], unique=True,
                    sqlite_where=sa.text("pays_challenge_bounties"), postgresql_where=sa.text("pays_challenge_bounties"))

    op.create_table("applications",
    sa.Column("id", sa.Uuid(), nullable=False),
    sa.Column("enterprise_id", sa.Uuid(), nullable=False),
    sa.Column("uscc", sa.String(length=18), nullable=False),
    sa.Column("enterprise_name", sa.String(length=200), nullable=False),
    sa.Column("district_code", sa.String(length=6), nullable=False),
    sa.Column("held_tiers", sa.JSON(), nullable=False),
    sa.Column("programme_id", sa.Uuid(), nullable=False),
    sa.Column("round_id", sa.Uuid(), nullable=False),
    sa.Column("project_title", sa.String(length=200), nullable=False),
    sa.Column("summary", sa.Text(), nullable=True),
    sa.Column("requested_fen", sa.BigInteger(), nullable=False),
    sa.Column("status", sa.String(length=20), nullable=False),
    sa.Column("origin", sa.String(length=20), nullable=False),
    sa.Column("approved_fen", sa.BigInteger(), nullable=True),
    sa.Column("disbursed_fen", sa.BigInteger(), nullable=False),
    sa.Column("released_fen", sa.BigInteger(), nullable=False),
    sa.Column("clawed_back_fen", sa.BigInteger(), nullable=False),
    sa.Column("tranches", sa.JSON(), nullable=False),
    sa.Column("eligibility", sa.JSON(), nullable=True),
    sa.Column("eligibility_outcome", sa.String(length=20), nullable=True),
    sa.Column("open_checks", sa.JSON(), nullable=False),
    sa.Column("rejection", sa.JSON(), nullable=True),
    sa.Column("note", sa.Text(), nullable=True),
    sa.Column("award_key", sa.String(length=200), nullable=True),
    sa.Column("explanation", sa.Text(), nullable=True),
    sa.Column("approved_on", sa.Date(), nullable=True),
    sa.Column("submitted_at", UTCDateTime(), nullable=True),
    sa.Column("decided_at", UTCDateTime(), nullable=True),
    sa.Column("created_by", sa.String(length=200), nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.CheckConstraint("approved_fen IS NULL OR approved_fen > 0", name=op.f("ck_applications_approved_positive")),
    sa.CheckConstraint("requested_fen >= 0", name=op.f("ck_applications_requested_not_negative")),
    sa.ForeignKeyConstraint(["programme_id"], ["programmes.id"], name=op.f("fk_applications_programme_id_programmes")),
    sa.ForeignKeyConstraint(["round_id"], ["fund_rounds.id"], name=op.f("fk_applications_round_id_fund_rounds")),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_applications")),
    sa.UniqueConstraint("award_key", name=op.f("uq_applications_award_key"))
    )
    op.create_index("ix_applications_district_code", "applications", ["district_code"])
    op.create_index("ix_applications_enterprise_id", "applications", ["enterprise_id"])
    op.create_index("ix_applications_programme_id", "applications", ["programme_id"])
    op.create_index("ix_applications_round_enterprise", "applications", ["round_id", "enterprise_id"])
    op.create_index("ix_applications_status", "applications", ["status"])
    op.create_index("ix_applications_uscc", "applications", ["uscc"])

    op.create_table("ledger_entries",
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
    sa.Column("programme_id", sa.Uuid(), nullable=False),
    sa.Column("round_id", sa.Uuid(), nullable=False),
    sa.Column("kind", sa.String(length=20), nullable=False),
    sa.Column("amount_fen", sa.BigInteger(), nullable=False),
    sa.Column("reference", sa.String(length=100), nullable=True),
    sa.Column("key", sa.String(length=200), nullable=True),
    sa.Column("entry_date", sa.Date(), nullable=False),
    sa.Column("note", sa.Text(), nullable=True),
    sa.Column("created_by", sa.String(length=200), nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.CheckConstraint("amount_fen > 0", name=op.f("ck_ledger_entries_amount_positive")),
    sa.ForeignKeyConstraint(["programme_id"], ["programmes.id"], name=op.f("fk_ledger_entries_programme_id_programmes")),
    sa.ForeignKeyConstraint(["round_id"], ["fund_rounds.id"], name=op.f("fk_ledger_entries_round_id_fund_rounds")),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_entries")),
    sa.UniqueConstraint("key", name=op.f("uq_ledger_entries_key"))
    )
    op.create_index("ix_ledger_entries_round_id_id", "ledger_entries", ["round_id", "id"])
    op.create_index("ix_ledger_entries_round_reference", "ledger_entries", ["round_id", "reference"])

    op.create_table("double_support_flags",
    sa.Column("id", sa.Uuid(), nullable=False),
    sa.Column("application_id", sa.Uuid(), nullable=False),
    sa.Column("other_application_id", sa.Uuid(), nullable=False),
    sa.Column("enterprise_id", sa.Uuid(), nullable=False),
    sa.Column("district_code", sa.String(length=6), nullable=False),
    sa.Column("similarity", sa.String(length=10), nullable=False),
    sa.Column("identical", sa.Boolean(), nullable=False),
    sa.Column("reason", sa.Text(), nullable=False),
    sa.Column("status", sa.String(length=20), nullable=False),
    sa.Column("resolution", sa.Text(), nullable=True),
    sa.Column("resolved_by", sa.String(length=200), nullable=True),
    sa.Column("resolved_at", UTCDateTime(), nullable=True),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(["application_id"], ["applications.id"], name=op.f("fk_double_support_flags_application_id_applications")),
    sa.ForeignKeyConstraint(["other_application_id"], ["applications.id"], name=op.f("fk_double_support_flags_other_application_id_applications")),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_double_support_flags")),
    sa.UniqueConstraint("application_id", "other_application_id", name="uq_double_support_flags_application_id")
    )
    op.create_index("ix_double_support_flags_district_code", "double_support_flags", ["district_code"])
    op.create_index("ix_double_support_flags_status", "double_support_flags", ["status"])

    op.create_table("review_declarations",
    sa.Column("id", sa.Uuid(), nullable=False),
    sa.Column("application_id", sa.Uuid(), nullable=False),
    sa.Column("reviewer", sa.String(length=200), nullable=False),
    sa.Column("conflict_of_interest", sa.Boolean(), nullable=False),
    sa.Column("statement", sa.Text(), nullable=True),
    sa.Column("score", sa.Integer(), nullable=True),
    sa.Column("declared_at", UTCDateTime(), nullable=False),
    sa.CheckConstraint("NOT conflict_of_interest OR score IS NULL", name=op.f("ck_review_declarations_no_score_with_conflict")),
    sa.CheckConstraint("score IS NULL OR (score >= 0 AND score <= 100)", name=op.f("ck_review_declarations_score_range")),
    sa.ForeignKeyConstraint(["application_id"], ["applications.id"], name=op.f("fk_review_declarations_application_id_applications")),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_review_declarations")),
    sa.UniqueConstraint("application_id", "reviewer", name="uq_review_declarations_application_id")
    )


def downgrade() -> None:
    for table in ("review_declarations", "double_support_flags", "ledger_entries", "applications", "fund_rounds",
                  "programmes", "fund_pools", "dated_amounts"):
        op.drop_table(table)
