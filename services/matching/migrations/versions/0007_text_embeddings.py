"""text embeddings (the semantic signal's vectors, computed once by the worker)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

from shared.db import UTCDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "text_embeddings",
        sa.Column("text_key", sa.String(length=64), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("text_key", name="pk_text_embeddings"),
    )
    op.create_index("ix_text_embeddings_updated_at", "text_embeddings", ["updated_at"])


def downgrade() -> None:
    op.drop_index("ix_text_embeddings_updated_at", table_name="text_embeddings")
    op.drop_table("text_embeddings")
