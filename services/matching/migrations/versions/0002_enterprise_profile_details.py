"""enterprise profiles: classification, tags, capabilities, platform, size class, pool, held tiers

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("enterprise_profiles") as batch:
        batch.add_column(sa.Column("short_name", sa.String(length=100), nullable=True))
        batch.add_column(sa.Column("functional_zone", sa.String(length=40), nullable=True))
        batch.add_column(sa.Column("sector", sa.String(length=40), nullable=True))
        batch.add_column(sa.Column("cluster", sa.String(length=60), nullable=True))
        batch.add_column(sa.Column("product_tags", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("technical_capabilities", sa.Text(), nullable=True))
        batch.add_column(sa.Column("capability_tags", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("platform_id", sa.Uuid(), nullable=True))
        batch.add_column(sa.Column("size_class", sa.String(length=10), nullable=True))
        batch.add_column(sa.Column("pool", sa.String(length=20), nullable=True))
        batch.add_column(sa.Column("held_tiers", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("registry_version", sa.Integer(), nullable=True))
    op.execute("UPDATE enterprise_profiles SET product_tags = '[]', capability_tags = '[]', held_tiers = '[]', "
               "registry_version = 0")
    with op.batch_alter_table("enterprise_profiles") as batch:
        for name, type_ in (("product_tags", sa.JSON()), ("capability_tags", sa.JSON()), ("held_tiers", sa.JSON()),
                            ("registry_version", sa.Integer())):
            batch.alter_column(name, existing_type=type_, nullable=False)


def downgrade() -> None:
    raise NotImplementedError("restore from a backup instead")
