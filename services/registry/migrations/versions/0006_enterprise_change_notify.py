"""committed changes to enterprises notify the API processes' row caches (PostgreSQL)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26
"""
from alembic import op

from shared.row_cache import create_change_trigger_v1, drop_change_trigger_v1

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # SQLite has no NOTIFY, and the API keeps no row cache there.
    if op.get_bind().dialect.name == "postgresql":
        for statement in create_change_trigger_v1("enterprises"):
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in drop_change_trigger_v1("enterprises"):
            op.execute(statement)
