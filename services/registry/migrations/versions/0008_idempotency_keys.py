"""idempotency keys: stored responses of requests sent with an Idempotency-Key (shared/idempotency.py)

Revision ID: 0008_idempotency_keys
Revises: 0007
Create Date: 2026-11-27
"""
from alembic import op

from shared.idempotency import create_idempotency_keys_v1

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_idempotency_keys_v1()


def downgrade() -> None:
    op.drop_table("idempotency_keys")
