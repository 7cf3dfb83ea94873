"""enterprise profile: names, contacts, location, classification, products and capabilities

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
    with op.batch_alter_table("enterprises") as batch:
        batch.add_column(sa.Column("short_name", sa.String(length=100), nullable=True))
        batch.add_column(sa.Column("legal_representative", sa.String(length=100), nullable=True))
        batch.add_column(sa.Column("contact_name", sa.String(length=100), nullable=True))
        batch.add_column(sa.Column("contact_phone", sa.String(length=40), nullable=True))
        batch.add_column(sa.Column("contact_email", sa.String(length=200), nullable=True))
        # Existing rows get the code from their USCC below, then the column becomes required.
        batch.add_column(sa.Column("registration_division_code", sa.String(length=6), nullable=True))
        batch.add_column(sa.Column("functional_zone", sa.String(length=40), nullable=True))
        batch.add_column(sa.Column("address", sa.String(length=400), nullable=True))
        batch.add_column(sa.Column("longitude", sa.Float(), nullable=True))
        batch.add_column(sa.Column("latitude", sa.Float(), nullable=True))
        batch.add_column(sa.Column("sector", sa.String(length=40), nullable=True))
        batch.add_column(sa.Column("cluster", sa.String(length=60), nullable=True))
        batch.add_column(sa.Column("product_tags", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("technical_capabilities", sa.Text(), nullable=True))
        batch.add_column(sa.Column("capability_tags", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("platform_id", sa.Uuid(), nullable=True))
        batch.add_column(sa.Column("size_class", sa.String(length=10), nullable=True))
        batch.add_column(sa.Column("pool", sa.String(length=20), nullable=True))
    op.execute("UPDATE enterprises SET registration_division_code = substr(uscc, 3, 6), "
               "product_tags = '[]', capability_tags = '[]'")
    with op.batch_alter_table("enterprises") as batch:
        batch.alter_column("registration_division_code", existing_type=sa.String(length=6), nullable=False)
        batch.alter_column("product_tags", existing_type=sa.JSON(), nullable=False)
        batch.alter_column("capability_tags", existing_type=sa.JSON(), nullable=False)
        batch.create_index("ix_enterprises_sector", ["sector"])
        batch.create_index("ix_enterprises_cluster", ["cluster"])
        batch.create_index("ix_enterprises_platform_id", ["platform_id"])
        batch.create_index("ix_enterprises_size_class", ["size_class"])
        batch.create_index("ix_enterprises_pool", ["pool"])
        batch.create_index("ix_enterprises_name", ["name"])
        batch.create_index("ix_enterprises_created_at_id", ["created_at", "id"])


def downgrade() -> None:
    raise NotImplementedError("restore from a backup instead")
