"""Running user totals per (role, is_active), kept by triggers on `users`.

The admin list reports an exact `total`; counting a million rows per request costs tens of
milliseconds, so the database keeps the totals itself. Triggers update `user_counts` in the same
transaction as the change, whoever writes (the service, fastapi-users, raw SQL, a bulk load), and
each change is one atomic upsert, so concurrent writers cannot lose an update.

* SQLite: row triggers (INSERT, DELETE, UPDATE OF role/is_active). `INSERT OR REPLACE` into
  `users` bypasses the DELETE trigger unless `PRAGMA recursive_triggers` is on; the service never
  writes that way.
* PostgreSQL: statement triggers over transition tables, so a bulk load adds one row per
  (role, is_active) rather than one upsert per user, and the rows are touched in key order, so
  concurrent writers cannot deadlock on them. TRUNCATE empties the totals.

Triggers are invisible to Alembic's autogenerate. On SQLite, a later migration that rebuilds
`users` (batch mode copies and drops the table) drops these triggers with it and must create them
again; the tests of the totals run against the migrated head and would fail.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.config import UnsupportedDatabase

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQLITE_TRIGGERS = {
    "users_count_insert": """
        CREATE TRIGGER users_count_insert AFTER INSERT ON users
        BEGIN
            INSERT INTO user_counts (role, is_active, count) VALUES (NEW.role, NEW.is_active, 1)
            ON CONFLICT (role, is_active) DO UPDATE SET count = count + 1;
        END
    """,
    "users_count_delete": """
        CREATE TRIGGER users_count_delete AFTER DELETE ON users
        BEGIN
            INSERT INTO user_counts (role, is_active, count) VALUES (OLD.role, OLD.is_active, -1)
            ON CONFLICT (role, is_active) DO UPDATE SET count = count - 1;
        END
    """,
    "users_count_update": """
        CREATE TRIGGER users_count_update AFTER UPDATE OF role, is_active ON users
        WHEN OLD.role IS NOT NEW.role OR OLD.is_active IS NOT NEW.is_active
        BEGIN
            INSERT INTO user_counts (role, is_active, count) VALUES (OLD.role, OLD.is_active, -1)
            ON CONFLICT (role, is_active) DO UPDATE SET count = count - 1;
            INSERT INTO user_counts (role, is_active, count) VALUES (NEW.role, NEW.is_active, 1)
            ON CONFLICT (role, is_active) DO UPDATE SET count = count + 1;
        END
    """,
}

# Each function nets one statement's changes per (role, is_active) and upserts them in key order.
_POSTGRESQL_UPSERT = """
    INSERT INTO user_counts AS counts (role, is_active, count)
    {changes}
    ON CONFLICT (role, is_active) DO UPDATE SET count = counts.count + EXCLUDED.count;
"""
POSTGRESQL_FUNCTIONS = {
    "user_counts_after_insert": _POSTGRESQL_UPSERT.format(
        changes="SELECT role, is_active, count(*) FROM added GROUP BY role, is_active ORDER BY role, is_active"
    ),
    "user_counts_after_delete": _POSTGRESQL_UPSERT.format(
        changes="SELECT role, is_active, -count(*) FROM removed GROUP BY role, is_active ORDER BY role, is_active"
    ),
    "user_counts_after_update": _POSTGRESQL_UPSERT.format(
        changes="""
        SELECT role, is_active, sum(delta) FROM (
            SELECT role, is_active, -1 AS delta FROM removed
            UNION ALL
            SELECT role, is_active, 1 AS delta FROM added
        ) AS changes
        GROUP BY role, is_active HAVING sum(delta) <> 0 ORDER BY role, is_active
        """
    ),
    "user_counts_after_truncate": "DELETE FROM user_counts;",
}
# Transition tables cannot be combined with a column list, so the UPDATE trigger runs for every
# UPDATE statement on users; one that changes no role or is_active nets to nothing.
POSTGRESQL_TRIGGERS = {
    "users_count_insert": "AFTER INSERT ON users REFERENCING NEW TABLE AS added "
    "FOR EACH STATEMENT EXECUTE FUNCTION user_counts_after_insert()",
    "users_count_delete": "AFTER DELETE ON users REFERENCING OLD TABLE AS removed "
    "FOR EACH STATEMENT EXECUTE FUNCTION user_counts_after_delete()",
    "users_count_update": "AFTER UPDATE ON users REFERENCING OLD TABLE AS removed NEW TABLE AS added "
    "FOR EACH STATEMENT EXECUTE FUNCTION user_counts_after_update()",
    "users_count_truncate": "AFTER TRUNCATE ON users FOR EACH STATEMENT EXECUTE FUNCTION user_counts_after_truncate()",
}


def upgrade() -> None:
    op.create_table(
        "user_counts",
        sa.Column(
            "role",
            sa.Enum("admin", "user", "guest", name="user_role", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("role", "is_active", name=op.f("pk_user_counts")),
    )
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        # No write to users between the triggers' creation and the initial totals.
        op.execute("LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE")
        for name, body in POSTGRESQL_FUNCTIONS.items():
            op.execute(
                f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN {body} RETURN NULL; END $$"
            )
        for name, definition in POSTGRESQL_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {definition}")
    elif dialect == "sqlite":
        for definition in SQLITE_TRIGGERS.values():
            op.execute(definition)
    else:
        raise UnsupportedDatabase(dialect)
    # Counted after the triggers exist, in one write transaction, so a write that lands between
    # the two (SQLite may run the DDL above outside any transaction) is counted once, here.
    op.execute("DELETE FROM user_counts")
    op.execute(
        "INSERT INTO user_counts (role, is_active, count) "
        "SELECT role, is_active, count(*) FROM users GROUP BY role, is_active"
    )


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        for name in POSTGRESQL_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON users")
        for name in POSTGRESQL_FUNCTIONS:
            op.execute(f"DROP FUNCTION IF EXISTS {name}()")
    else:
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_table("user_counts")
