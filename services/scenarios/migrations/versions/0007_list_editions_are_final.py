"""scenarios: a published list edition is never updated (a trigger refuses any UPDATE of list_editions)

The service never updates an edition (services/scenarios/service/editions.py); the trigger makes it a property of
the database too, so that no later code path, script or hand-run statement can change a list already published.
A mistaken edition is corrected by publishing the next one.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

MESSAGE = "a published list edition is never changed; publish the next edition instead"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"""
            CREATE FUNCTION list_editions_are_final() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
            END $$""")
        op.execute("CREATE TRIGGER list_editions_are_final BEFORE UPDATE ON list_editions "
                   "FOR EACH ROW EXECUTE FUNCTION list_editions_are_final()")
    else:
        op.execute(f"CREATE TRIGGER list_editions_are_final BEFORE UPDATE ON list_editions "
                   f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END")


def downgrade() -> None:
    op.execute("DROP TRIGGER list_editions_are_final" +
               (" ON list_editions" if op.get_bind().dialect.name == "postgresql" else ""))
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION list_editions_are_final()")
