"""enterprise profiles: the enterprise read model kept from registry events (shared/read_models/enterprises.py)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""
from alembic import op

from shared.read_models.enterprises import create_enterprise_profiles_v1

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_enterprise_profiles_v1()


def downgrade() -> None:
    op.drop_table("enterprise_profiles")
