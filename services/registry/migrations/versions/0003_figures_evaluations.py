"""annual figures, IP holdings, honours, evaluations and certifications

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""
import sqlalchemy as sa
from alembic import op

from shared.db import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "annual_figures",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("enterprise_id", sa.Uuid(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("employees", sa.Integer(), nullable=True),
        sa.Column("rd_staff", sa.Integer(), nullable=True),
        sa.Column("tech_staff", sa.Integer(), nullable=True),
        sa.Column("operating_revenue_fen", sa.BigInteger(), nullable=True),
        sa.Column("main_business_revenue_fen", sa.BigInteger(), nullable=True),
        sa.Column("total_income_fen", sa.BigInteger(), nullable=True),
        sa.Column("rd_expense_fen", sa.BigInteger(), nullable=True),
        sa.Column("rd_expense_domestic_fen", sa.BigInteger(), nullable=True),
        sa.Column("total_cost_expense_fen", sa.BigInteger(), nullable=True),
        sa.Column("total_assets_fen", sa.BigInteger(), nullable=True),
        sa.Column("total_liabilities_fen", sa.BigInteger(), nullable=True),
        sa.Column("net_profit_fen", sa.BigInteger(), nullable=True),
        sa.Column("high_tech_product_revenue_fen", sa.BigInteger(), nullable=True),
        sa.Column("equity_financing_fen", sa.BigInteger(), nullable=True),
        sa.Column("market_share", sa.Numeric(7, 4), nullable=True),
        sa.Column("domestic_market_rank", sa.Integer(), nullable=True),
        sa.Column("digital_maturity_level", sa.Integer(), nullable=True),
        sa.Column("tech_results_converted", sa.Integer(), nullable=True),
        sa.Column("flags", sa.JSON(), nullable=False),
        sa.Column("reported_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(["enterprise_id"], ["enterprises.id"], name="fk_annual_figures_enterprise_id_enterprises",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_annual_figures"),
        sa.UniqueConstraint("enterprise_id", "year", name="uq_annual_figures_enterprise_id_year"),
    )
    op.create_index("ix_annual_figures_enterprise_id", "annual_figures", ["enterprise_id"])

    op.create_table(
        "ip_holdings",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("enterprise_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("reference", sa.String(length=100), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=True),
        sa.Column("acquisition", sa.String(length=20), nullable=True),
        sa.Column("acquired_on", sa.Date(), nullable=True),
        sa.Column("granted_on", sa.Date(), nullable=True),
        sa.Column("high_value", sa.Boolean(), nullable=True),
        sa.Column("related_to_main_product", sa.Boolean(), nullable=True),
        sa.Column("in_force", sa.Boolean(), nullable=False),
        sa.Column("rights_holder_rank", sa.Integer(), nullable=True),
        sa.Column("applied_with_economic_benefit", sa.Boolean(), nullable=True),
        sa.Column("disputed", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["enterprise_id"], ["enterprises.id"], name="fk_ip_holdings_enterprise_id_enterprises",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_ip_holdings"),
        sa.UniqueConstraint("enterprise_id", "reference", name="uq_ip_holdings_enterprise_id_reference"),
    )
    op.create_index("ix_ip_holdings_enterprise_id", "ip_holdings", ["enterprise_id"])
    op.create_index("ix_ip_holdings_enterprise_id_created_at", "ip_holdings", ["enterprise_id", "created_at"])

    op.create_table(
        "honours",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("enterprise_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("certification_kind", sa.String(length=60), nullable=True),
        sa.Column("name", sa.String(length=300), nullable=True),
        sa.Column("number", sa.String(length=100), nullable=True),
        sa.Column("level", sa.String(length=40), nullable=True),
        sa.Column("category", sa.String(length=60), nullable=True),
        sa.Column("rank", sa.Integer(), nullable=True),
        sa.Column("role", sa.String(length=20), nullable=True),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("national_top", sa.Integer(), nullable=True),
        sa.Column("stage", sa.String(length=40), nullable=True),
        sa.Column("score", sa.Numeric(6, 2), nullable=True),
        sa.Column("recognised", sa.Boolean(), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("evidence", sa.Text(), nullable=True),
        sa.Column("warnings", sa.JSON(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["enterprise_id"], ["enterprises.id"], name="fk_honours_enterprise_id_enterprises",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_honours"),
    )
    op.create_index("ix_honours_enterprise_id", "honours", ["enterprise_id"])
    op.create_index("ix_honours_kind", "honours", ["kind"])

    op.create_table(
        "enterprise_declarations",
        sa.Column("enterprise_id", sa.Uuid(), nullable=False),
        sa.Column("resident_in_mainland", sa.Boolean(), nullable=True),
        sa.Column("products_in_prohibited_category", sa.Boolean(), nullable=True),
        sa.Column("on_abnormal_operation_list", sa.Boolean(), nullable=True),
        sa.Column("on_serious_dishonesty_list", sa.Boolean(), nullable=True),
        sa.Column("niche_market_since", sa.Date(), nullable=True),
        sa.Column("incidents", sa.JSON(), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["enterprise_id"], ["enterprises.id"],
                                name="fk_enterprise_declarations_enterprise_id_enterprises", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("enterprise_id", name="pk_enterprise_declarations"),
    )

    op.create_table(
        "evaluations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("enterprise_id", sa.Uuid(), nullable=False),
        sa.Column("tier", sa.String(length=40), nullable=False),
        sa.Column("rule_set_id", sa.String(length=80), nullable=False),
        sa.Column("purpose", sa.String(length=20), nullable=False),
        sa.Column("requested_version", sa.String(length=80), nullable=True),
        sa.Column("evaluation_date", sa.Date(), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("total_score", sa.Integer(), nullable=True),
        sa.Column("score_min", sa.Integer(), nullable=True),
        sa.Column("score_max", sa.Integer(), nullable=True),
        sa.Column("direct_route", sa.String(length=80), nullable=True),
        sa.Column("judgements", sa.JSON(), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("tech_sme_rd_option", sa.String(length=20), nullable=True),
        sa.Column("inputs", sa.JSON(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("inputs_digest", sa.String(length=64), nullable=False),
        sa.Column("trigger", sa.String(length=20), nullable=False),
        sa.Column("rerun_of", sa.Uuid(), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["enterprise_id"], ["enterprises.id"], name="fk_evaluations_enterprise_id_enterprises",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_evaluations"),
    )
    op.create_index("ix_evaluations_outcome", "evaluations", ["outcome"])
    op.create_index("ix_evaluations_enterprise_id_tier_created_at", "evaluations",
                    ["enterprise_id", "tier", "created_at"])

    op.create_table(
        "certifications",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("enterprise_id", sa.Uuid(), nullable=False),
        sa.Column("tier", sa.String(length=40), nullable=False),
        sa.Column("evaluation_id", sa.Uuid(), nullable=True),
        sa.Column("certificate_no", sa.String(length=100), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("override_reason", sa.Text(), nullable=True),
        sa.Column("warnings", sa.JSON(), nullable=False),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("end_reason", sa.Text(), nullable=True),
        sa.Column("certified_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["enterprise_id"], ["enterprises.id"], name="fk_certifications_enterprise_id_enterprises",
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["evaluation_id"], ["evaluations.id"], name="fk_certifications_evaluation_id_evaluations"),
        sa.PrimaryKeyConstraint("id", name="pk_certifications"),
    )
    op.create_index("ix_certifications_evaluation_id", "certifications", ["evaluation_id"])
    op.create_index("ix_certifications_status", "certifications", ["status"])
    op.create_index("ix_certifications_enterprise_id_tier", "certifications", ["enterprise_id", "tier"])
    op.create_index("ix_certifications_status_valid_until", "certifications", ["status", "valid_until"])


def downgrade() -> None:
    raise NotImplementedError("restore from a backup instead")
