"""patents, open-licence declarations, licences and payments, equity contributions (issue 9)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

import shared.db

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('patents',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('institute_id', sa.String(length=100), nullable=False),
    sa.Column('holder_name', sa.String(length=200), nullable=False),
    sa.Column('application_number', sa.String(length=20), nullable=False),
    sa.Column('patent_type', sa.String(length=20), nullable=False),
    sa.Column('publication_numbers', sa.JSON(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('abstract', sa.Text(), nullable=False),
    sa.Column('ipc_classes', sa.JSON(), nullable=False),
    sa.Column('inventors', sa.JSON(), nullable=False),
    sa.Column('patentees', sa.JSON(), nullable=False),
    sa.Column('legal_status', sa.String(length=20), nullable=False),
    sa.Column('filed_on', sa.Date(), nullable=True),
    sa.Column('granted_on', sa.Date(), nullable=True),
    sa.Column('pledge_status', sa.String(length=20), nullable=False),
    sa.Column('pledgee', sa.String(length=200), nullable=True),
    sa.Column('pledgee_consented', sa.Boolean(), nullable=False),
    sa.Column('fee_status', sa.String(length=20), nullable=False),
    sa.Column('modes_offered', sa.JSON(), nullable=False),
    sa.Column('listing', sa.String(length=20), nullable=False),
    sa.Column('listed_at', shared.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('transferred_to_uscc', sa.String(length=18), nullable=True),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.Column('created_at', shared.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', shared.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_patents')),
    sa.UniqueConstraint('application_number', name=op.f('uq_patents_application_number'))
    )
    with op.batch_alter_table('patents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_patents_institute_id'), ['institute_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_patents_listing'), ['listing'], unique=False)

    op.create_table('open_licence_declarations',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('patent_id', sa.Uuid(), nullable=False),
    sa.Column('institute_id', sa.String(length=100), nullable=False),
    sa.Column('royalty_mode', sa.String(length=30), nullable=False),
    sa.Column('lump_sum_fen', sa.BigInteger(), nullable=True),
    sa.Column('entry_fee_fen', sa.BigInteger(), nullable=True),
    sa.Column('royalty_rate', sa.Numeric(precision=9, scale=6), nullable=True),
    sa.Column('royalty_basis', sa.String(length=20), nullable=True),
    sa.Column('standard', sa.Text(), nullable=False),
    sa.Column('term_start', sa.Date(), nullable=False),
    sa.Column('term_end', sa.Date(), nullable=True),
    sa.Column('evaluation_report_no', sa.String(length=100), nullable=True),
    sa.Column('warnings', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('declared_by', sa.String(length=200), nullable=False),
    sa.Column('declared_at', shared.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('withdrawn_at', shared.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('withdrawal_reason', sa.Text(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['patent_id'], ['patents.id'], name=op.f('fk_open_licence_declarations_patent_id_patents'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_open_licence_declarations'))
    )
    with op.batch_alter_table('open_licence_declarations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_open_licence_declarations_institute_id'), ['institute_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_open_licence_declarations_patent_id'), ['patent_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_open_licence_declarations_status'), ['status'], unique=False)

    op.create_table('licences',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('patent_id', sa.Uuid(), nullable=False),
    sa.Column('institute_id', sa.String(length=100), nullable=False),
    sa.Column('licensee_uscc', sa.String(length=18), nullable=False),
    sa.Column('licensee_district', sa.String(length=6), nullable=True),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('territory', sa.JSON(), nullable=False),
    sa.Column('term_start', sa.Date(), nullable=False),
    sa.Column('term_end', sa.Date(), nullable=True),
    sa.Column('contract_no', sa.String(length=100), nullable=True),
    sa.Column('declaration_id', sa.Uuid(), nullable=True),
    sa.Column('fee_fen', sa.BigInteger(), nullable=True),
    sa.Column('due_fen', sa.BigInteger(), nullable=False),
    sa.Column('paid_fen', sa.BigInteger(), nullable=False),
    sa.Column('notice_on', sa.Date(), nullable=True),
    sa.Column('effective_on', sa.Date(), nullable=True),
    sa.Column('conversion_mode', sa.String(length=20), nullable=True),
    sa.Column('price_fen', sa.BigInteger(), nullable=True),
    sa.Column('price_formula', sa.Text(), nullable=True),
    sa.Column('insurance_policy_no', sa.String(length=100), nullable=True),
    sa.Column('reminded_on', sa.Date(), nullable=True),
    sa.Column('converted_on', sa.Date(), nullable=True),
    sa.Column('lapsed_on', sa.Date(), nullable=True),
    sa.Column('terminated_on', sa.Date(), nullable=True),
    sa.Column('termination_reason', sa.Text(), nullable=True),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.Column('created_at', shared.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', shared.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['declaration_id'], ['open_licence_declarations.id'], name=op.f('fk_licences_declaration_id_open_licence_declarations')),
    sa.ForeignKeyConstraint(['patent_id'], ['patents.id'], name=op.f('fk_licences_patent_id_patents'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_licences'))
    )
    with op.batch_alter_table('licences', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_licences_institute_id'), ['institute_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_licences_licensee_uscc'), ['licensee_uscc'], unique=False)
        batch_op.create_index(batch_op.f('ix_licences_licensee_district'), ['licensee_district'], unique=False)
        batch_op.create_index(batch_op.f('ix_licences_patent_id'), ['patent_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_licences_status'), ['status'], unique=False)

    op.create_table('equity_contributions',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('patent_id', sa.Uuid(), nullable=False),
    sa.Column('institute_id', sa.String(length=100), nullable=False),
    sa.Column('target_uscc', sa.String(length=18), nullable=False),
    sa.Column('valuation_method', sa.String(length=20), nullable=False),
    sa.Column('appraisal_report_no', sa.String(length=100), nullable=False),
    sa.Column('appraisal_amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('share_ratio', sa.Numeric(precision=9, scale=6), nullable=False),
    sa.Column('pricing_method', sa.String(length=20), nullable=False),
    sa.Column('publicity_start', sa.Date(), nullable=True),
    sa.Column('publicity_end', sa.Date(), nullable=True),
    sa.Column('inventors_share', sa.Numeric(precision=9, scale=6), nullable=False),
    sa.Column('reward_agreement_ref', sa.String(length=200), nullable=True),
    sa.Column('trial_licence_id', sa.Uuid(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('registration_no', sa.String(length=100), nullable=True),
    sa.Column('registered_on', sa.Date(), nullable=True),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.Column('created_at', shared.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', shared.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['patent_id'], ['patents.id'], name=op.f('fk_equity_contributions_patent_id_patents'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['trial_licence_id'], ['licences.id'], name=op.f('fk_equity_contributions_trial_licence_id_licences')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_equity_contributions'))
    )
    with op.batch_alter_table('equity_contributions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_equity_contributions_institute_id'), ['institute_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_equity_contributions_patent_id'), ['patent_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_equity_contributions_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_equity_contributions_target_uscc'), ['target_uscc'], unique=False)

    op.create_table('payments',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('licence_id', sa.Uuid(), nullable=False),
    sa.Column('institute_id', sa.String(length=100), nullable=False),
    sa.Column('licensee_uscc', sa.String(length=18), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('paid_on', sa.Date(), nullable=False),
    sa.Column('reference', sa.String(length=100), nullable=True),
    sa.Column('period_start', sa.Date(), nullable=True),
    sa.Column('period_end', sa.Date(), nullable=True),
    sa.Column('basis_fen', sa.BigInteger(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('recorded_by', sa.String(length=200), nullable=False),
    sa.Column('created_at', shared.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['licence_id'], ['licences.id'], name=op.f('fk_payments_licence_id_licences'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payments'))
    )
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payments_institute_id'), ['institute_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_payments_licence_id'), ['licence_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_payments_paid_on'), ['paid_on'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payments_paid_on'))
        batch_op.drop_index(batch_op.f('ix_payments_licence_id'))
        batch_op.drop_index(batch_op.f('ix_payments_institute_id'))

    op.drop_table('payments')
    with op.batch_alter_table('equity_contributions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_equity_contributions_target_uscc'))
        batch_op.drop_index(batch_op.f('ix_equity_contributions_status'))
        batch_op.drop_index(batch_op.f('ix_equity_contributions_patent_id'))
        batch_op.drop_index(batch_op.f('ix_equity_contributions_institute_id'))

    op.drop_table('equity_contributions')
    with op.batch_alter_table('licences', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_licences_status'))
        batch_op.drop_index(batch_op.f('ix_licences_patent_id'))
        batch_op.drop_index(batch_op.f('ix_licences_licensee_uscc'))
        batch_op.drop_index(batch_op.f('ix_licences_licensee_district'))
        batch_op.drop_index(batch_op.f('ix_licences_institute_id'))

    op.drop_table('licences')
    with op.batch_alter_table('open_licence_declarations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_open_licence_declarations_status'))
        batch_op.drop_index(batch_op.f('ix_open_licence_declarations_patent_id'))
        batch_op.drop_index(batch_op.f('ix_open_licence_declarations_institute_id'))

    op.drop_table('open_licence_declarations')
    with op.batch_alter_table('patents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_patents_listing'))
        batch_op.drop_index(batch_op.f('ix_patents_institute_id'))

    op.drop_table('patents')
