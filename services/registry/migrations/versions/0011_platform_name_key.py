"""Platform names are unique as their normalised key (shared.types.name_key), not as typed.

Before this, "湖州科技城孵化器" and "湖州科技城孵化器" with a zero-width space, or "SEED Park" and "ＳＥＥＤ park", were
two platforms. The key is computed here for the rows that exist; a database that already holds two names with one
key refuses this migration, naming them: rename one of them (PATCH /v1/platforms/{id}) and migrate again.

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

from shared.types import NAME_KEY_MAX_LENGTH, name_key

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("platforms", sa.Column("name_key", sa.String(length=NAME_KEY_MAX_LENGTH), nullable=True))
    platforms = sa.table("platforms", sa.column("id", sa.Uuid()), sa.column("name", sa.String()),
                         sa.column("name_key", sa.String()))
    connection = op.get_bind()
    names_by_key: dict[str, list[str]] = {}
    for platform_id, name in connection.execute(sa.select(platforms.c.id, platforms.c.name)).all():
        names_by_key.setdefault(name_key(name), []).append(name)
        connection.execute(platforms.update().where(platforms.c.id == platform_id).values(name_key=name_key(name)))
    same = [names for names in names_by_key.values() if len(names) > 1]
    if same:
        groups = "; ".join(" = ".join(names) for names in same)
        raise RuntimeError(f"platform names that are one name once normalised: {groups}; rename all but one of "
                           "each, then migrate again")
    with op.batch_alter_table("platforms") as batch:
        batch.alter_column("name_key", existing_type=sa.String(length=NAME_KEY_MAX_LENGTH), nullable=False)
        batch.drop_constraint("uq_platforms_name", type_="unique")
        batch.create_unique_constraint("uq_platforms_name_key", ["name_key"])
    # The list's order by name kept the unique constraint's index; it keeps one of its own.
    op.create_index("ix_platforms_name", "platforms", ["name"])


def downgrade() -> None:
    op.drop_index("ix_platforms_name", table_name="platforms")
    with op.batch_alter_table("platforms") as batch:
        batch.drop_constraint("uq_platforms_name_key", type_="unique")
        batch.create_unique_constraint("uq_platforms_name", ["name"])
        batch.drop_column("name_key")
