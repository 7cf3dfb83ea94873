"""a closed scenario's supplier (a past outcome for ranking)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("scenarios", sa.Column("supplier_uscc", sa.String(length=18), nullable=True))


def downgrade() -> None:
    op.drop_column("scenarios", "supplier_uscc")
