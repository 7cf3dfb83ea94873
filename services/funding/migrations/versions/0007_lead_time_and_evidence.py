"""a resource's booking lead time, and the provider's evidence of delivery on each voucher redemption

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Additions only: the old pods neither read nor write these columns. Redemptions made before evidence was
    # required keep an empty one.
    op.add_column("innovation_resources", sa.Column("lead_time_hours", sa.Integer(), nullable=True))
    op.add_column("voucher_redemptions", sa.Column("evidence", sa.String(length=500), nullable=False,
                                                   server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("voucher_redemptions") as batch:
        batch.drop_column("evidence")
    with op.batch_alter_table("innovation_resources") as batch:
        batch.drop_column("lead_time_hours")
