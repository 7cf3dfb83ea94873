"""innovation resources (创新要素供给池), bookings, voucher terms, vouchers (创新券) and their redemptions

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

import shared.db

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('innovation_resources',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('provider_name', sa.String(length=200), nullable=False),
    sa.Column('provider_class', sa.String(length=30), nullable=False),
    sa.Column('owner_institute_id', sa.String(length=100), nullable=True),
    sa.Column('owner_platform_id', sa.Uuid(), nullable=True),
    sa.Column('district_code', sa.String(length=6), nullable=False),
    sa.Column('location', sa.String(length=300), nullable=False),
    sa.Column('unit', sa.String(length=10), nullable=False),
    sa.Column('unit_price_fen', sa.BigInteger(), nullable=False),
    sa.Column('availability', sa.JSON(), nullable=False),
    sa.Column('opening_hours', sa.JSON(), nullable=True),
    sa.Column('terms', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('withdrawal_reason', sa.Text(), nullable=True),
    sa.Column('withdrawn_at', shared.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.Column('created_at', shared.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', shared.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint('owner_institute_id IS NULL OR owner_platform_id IS NULL', name=op.f('ck_innovation_resources_one_owner')),
    sa.CheckConstraint('unit_price_fen >= 0', name=op.f('ck_innovation_resources_unit_price_not_negative')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_innovation_resources'))
    )
    op.create_index(op.f('ix_innovation_resources_district_code'), 'innovation_resources', ['district_code'], unique=False)
    op.create_index(op.f('ix_innovation_resources_kind'), 'innovation_resources', ['kind'], unique=False)
    op.create_index(op.f('ix_innovation_resources_owner_institute_id'), 'innovation_resources', ['owner_institute_id'], unique=False)
    op.create_index(op.f('ix_innovation_resources_owner_platform_id'), 'innovation_resources', ['owner_platform_id'], unique=False)
    op.create_index(op.f('ix_innovation_resources_provider_name'), 'innovation_resources', ['provider_name'], unique=False)
    op.create_index(op.f('ix_innovation_resources_status'), 'innovation_resources', ['status'], unique=False)
    op.create_table('voucher_terms',
    sa.Column('round_id', sa.Uuid(), nullable=False),
    sa.Column('programme_id', sa.Uuid(), nullable=False),
    sa.Column('face_value_fen', sa.BigInteger(), nullable=False),
    sa.Column('per_enterprise_annual_cap_fen', sa.BigInteger(), nullable=False),
    sa.Column('validity_days', sa.Integer(), nullable=False),
    sa.Column('allowed_kinds', sa.JSON(), nullable=False),
    sa.Column('coverage', sa.JSON(), nullable=False),
    sa.Column('updated_by', sa.String(length=200), nullable=False),
    sa.Column('created_at', shared.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', shared.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint('face_value_fen > 0', name=op.f('ck_voucher_terms_face_value_positive')),
    sa.CheckConstraint('per_enterprise_annual_cap_fen > 0', name=op.f('ck_voucher_terms_cap_positive')),
    sa.CheckConstraint('validity_days >= 1', name=op.f('ck_voucher_terms_validity_positive')),
    sa.ForeignKeyConstraint(['programme_id'], ['programmes.id'], name=op.f('fk_voucher_terms_programme_id_programmes')),
    sa.ForeignKeyConstraint(['round_id'], ['fund_rounds.id'], name=op.f('fk_voucher_terms_round_id_fund_rounds')),
    sa.PrimaryKeyConstraint('round_id', name=op.f('pk_voucher_terms'))
    )
    op.create_index(op.f('ix_voucher_terms_programme_id'), 'voucher_terms', ['programme_id'], unique=False)
    op.create_table('vouchers',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('programme_id', sa.Uuid(), nullable=False),
    sa.Column('round_id', sa.Uuid(), nullable=False),
    sa.Column('enterprise_id', sa.Uuid(), nullable=False),
    sa.Column('enterprise_uscc', sa.String(length=18), nullable=False),
    sa.Column('enterprise_district_code', sa.String(length=6), nullable=True),
    sa.Column('enterprise_sector', sa.String(length=40), nullable=True),
    sa.Column('face_value_fen', sa.BigInteger(), nullable=False),
    sa.Column('redeemed_fen', sa.BigInteger(), nullable=False),
    sa.Column('released_fen', sa.BigInteger(), nullable=False),
    sa.Column('issued_on', sa.Date(), nullable=False),
    sa.Column('expires_on', sa.Date(), nullable=False),
    sa.Column('allowed_kinds', sa.JSON(), nullable=False),
    sa.Column('coverage', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('issued_by', sa.String(length=200), nullable=False),
    sa.Column('created_at', shared.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', shared.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint('face_value_fen > 0', name=op.f('ck_vouchers_face_value_positive')),
    sa.CheckConstraint('issued_on <= expires_on', name=op.f('ck_vouchers_expires_after_issue')),
    sa.CheckConstraint('redeemed_fen + released_fen <= face_value_fen', name=op.f('ck_vouchers_never_overspent')),
    sa.CheckConstraint('redeemed_fen >= 0 AND released_fen >= 0', name=op.f('ck_vouchers_spent_not_negative')),
    sa.ForeignKeyConstraint(['programme_id'], ['programmes.id'], name=op.f('fk_vouchers_programme_id_programmes')),
    sa.ForeignKeyConstraint(['round_id'], ['fund_rounds.id'], name=op.f('fk_vouchers_round_id_fund_rounds')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vouchers'))
    )
    op.create_index(op.f('ix_vouchers_enterprise_district_code'), 'vouchers', ['enterprise_district_code'], unique=False)
    op.create_index(op.f('ix_vouchers_enterprise_uscc'), 'vouchers', ['enterprise_uscc'], unique=False)
    op.create_index(op.f('ix_vouchers_programme_id'), 'vouchers', ['programme_id'], unique=False)
    op.create_index(op.f('ix_vouchers_round_id'), 'vouchers', ['round_id'], unique=False)
    op.create_index(op.f('ix_vouchers_status'), 'vouchers', ['status'], unique=False)
    op.create_table('resource_bookings',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('resource_id', sa.Uuid(), nullable=False),
    sa.Column('enterprise_uscc', sa.String(length=18), nullable=False),
    sa.Column('enterprise_district_code', sa.String(length=6), nullable=True),
    sa.Column('enterprise_sector', sa.String(length=40), nullable=True),
    sa.Column('resource_kind', sa.String(length=20), nullable=False),
    sa.Column('provider_name', sa.String(length=200), nullable=False),
    sa.Column('owner_institute_id', sa.String(length=100), nullable=True),
    sa.Column('owner_platform_id', sa.Uuid(), nullable=True),
    sa.Column('district_code', sa.String(length=6), nullable=False),
    sa.Column('starts_at', shared.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ends_at', shared.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('fee_fen', sa.BigInteger(), nullable=False),
    sa.Column('voucher_ids', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('purpose', sa.Text(), nullable=False),
    sa.Column('cancellation_reason', sa.Text(), nullable=True),
    sa.Column('delivered_at', shared.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('cancelled_at', shared.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.Column('created_at', shared.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', shared.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint('fee_fen >= 0', name=op.f('ck_resource_bookings_fee_not_negative')),
    sa.CheckConstraint('quantity >= 1', name=op.f('ck_resource_bookings_quantity_positive')),
    sa.CheckConstraint('starts_at < ends_at', name=op.f('ck_resource_bookings_interval_not_empty')),
    sa.ForeignKeyConstraint(['resource_id'], ['innovation_resources.id'], name=op.f('fk_resource_bookings_resource_id_innovation_resources')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_resource_bookings'))
    )
    op.create_index(op.f('ix_resource_bookings_district_code'), 'resource_bookings', ['district_code'], unique=False)
    op.create_index(op.f('ix_resource_bookings_enterprise_uscc'), 'resource_bookings', ['enterprise_uscc'], unique=False)
    op.create_index(op.f('ix_resource_bookings_owner_institute_id'), 'resource_bookings', ['owner_institute_id'], unique=False)
    op.create_index(op.f('ix_resource_bookings_owner_platform_id'), 'resource_bookings', ['owner_platform_id'], unique=False)
    op.create_index('ix_resource_bookings_resource_id_starts_at', 'resource_bookings', ['resource_id', 'starts_at'], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        # No two live bookings of one resource overlap (models/bookings.py says why both this and the row lock).
        # btree_gist gives the uuid's equality a GiST operator class; a trusted extension since PostgreSQL 13.
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
        op.execute("ALTER TABLE resource_bookings ADD CONSTRAINT ex_resource_bookings_no_overlap EXCLUDE USING gist "
                   "(resource_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&) "
                   "WHERE (status IN ('booked', 'delivered'))")
    op.create_index(op.f('ix_resource_bookings_status'), 'resource_bookings', ['status'], unique=False)
    op.create_table('voucher_redemptions',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('voucher_id', sa.Uuid(), nullable=False),
    sa.Column('booking_id', sa.Uuid(), nullable=False),
    sa.Column('programme_id', sa.Uuid(), nullable=False),
    sa.Column('round_id', sa.Uuid(), nullable=False),
    sa.Column('enterprise_uscc', sa.String(length=18), nullable=False),
    sa.Column('enterprise_district_code', sa.String(length=6), nullable=True),
    sa.Column('enterprise_sector', sa.String(length=40), nullable=True),
    sa.Column('resource_id', sa.Uuid(), nullable=False),
    sa.Column('resource_kind', sa.String(length=20), nullable=False),
    sa.Column('provider_name', sa.String(length=200), nullable=False),
    sa.Column('owner_institute_id', sa.String(length=100), nullable=True),
    sa.Column('owner_platform_id', sa.Uuid(), nullable=True),
    sa.Column('district_code', sa.String(length=6), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('fee_fen', sa.BigInteger(), nullable=False),
    sa.Column('service_date', sa.Date(), nullable=False),
    sa.Column('redeemed_by', sa.String(length=200), nullable=False),
    sa.Column('created_at', shared.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('amount_fen > 0', name=op.f('ck_voucher_redemptions_amount_positive')),
    sa.ForeignKeyConstraint(['booking_id'], ['resource_bookings.id'], name=op.f('fk_voucher_redemptions_booking_id_resource_bookings')),
    sa.ForeignKeyConstraint(['voucher_id'], ['vouchers.id'], name=op.f('fk_voucher_redemptions_voucher_id_vouchers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_voucher_redemptions')),
    sa.UniqueConstraint('voucher_id', 'booking_id', name='uq_voucher_redemptions_voucher_booking')
    )
    op.create_index(op.f('ix_voucher_redemptions_booking_id'), 'voucher_redemptions', ['booking_id'], unique=False)
    op.create_index(op.f('ix_voucher_redemptions_district_code'), 'voucher_redemptions', ['district_code'], unique=False)
    op.create_index(op.f('ix_voucher_redemptions_enterprise_uscc'), 'voucher_redemptions', ['enterprise_uscc'], unique=False)
    op.create_index(op.f('ix_voucher_redemptions_owner_institute_id'), 'voucher_redemptions', ['owner_institute_id'], unique=False)
    op.create_index(op.f('ix_voucher_redemptions_owner_platform_id'), 'voucher_redemptions', ['owner_platform_id'], unique=False)
    op.create_index(op.f('ix_voucher_redemptions_round_id'), 'voucher_redemptions', ['round_id'], unique=False)
    op.create_index(op.f('ix_voucher_redemptions_voucher_id'), 'voucher_redemptions', ['voucher_id'], unique=False)


def downgrade() -> None:
    for table in ("voucher_redemptions", "resource_bookings", "vouchers", "voucher_terms", "innovation_resources"):
        op.drop_table(table)
