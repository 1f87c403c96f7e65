"""The admin user search: a trigram index of emails; login lockouts linked to their account.

* SQLite: `users_email_fts`, an FTS5 table with the trigram tokenizer over `users.email`, with
  external content (it stores only the index; the emails stay in `users`), kept in step by
  triggers on `users` in the transaction of each change, whoever writes. Its rows are keyed by
  `users.rowid`.
* PostgreSQL: `pg_trgm` and a GIN index of `users.email` with `gin_trgm_ops`, which serves
  `email LIKE '%part%'`.
* `login_lockouts.user_id`: the account whose email a streak counts, written with each failure
  (NULL for an email without an account), so the admin list can filter on "locked" without
  knowing the emails behind the keyed hashes.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from fastapi_users_db_sqlalchemy.generics import GUID

from app.config import UnsupportedDatabase

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQLITE_FTS_TABLE = (
    "CREATE VIRTUAL TABLE users_email_fts USING fts5(email, content='users', content_rowid='rowid', tokenize='trigram')"
)
# The external-content triggers FTS5's documentation gives; the UPDATE one only when the email
# really changes (the users service rewrites `email` with itself to take SQLite's write lock).
SQLITE_TRIGGERS = {
    "users_email_fts_insert": """
        CREATE TRIGGER users_email_fts_insert AFTER INSERT ON users
        BEGIN
            INSERT INTO users_email_fts (rowid, email) VALUES (NEW.rowid, NEW.email);
        END
    """,
    "users_email_fts_delete": """
        CREATE TRIGGER users_email_fts_delete AFTER DELETE ON users
        BEGIN
            INSERT INTO users_email_fts (users_email_fts, rowid, email) VALUES ('delete', OLD.rowid, OLD.email);
        END
    """,
    "users_email_fts_update": """
        CREATE TRIGGER users_email_fts_update AFTER UPDATE OF email ON users
        WHEN OLD.email IS NOT NEW.email
        BEGIN
            INSERT INTO users_email_fts (users_email_fts, rowid, email) VALUES ('delete', OLD.rowid, OLD.email);
            INSERT INTO users_email_fts (rowid, email) VALUES (NEW.rowid, NEW.email);
        END
    """,
}


def upgrade() -> None:
    op.add_column("login_lockouts", sa.Column("user_id", GUID(), nullable=True))
    op.create_index(op.f("ix_login_lockouts_user_id"), "login_lockouts", ["user_id"])
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute(SQLITE_FTS_TABLE)
        for definition in SQLITE_TRIGGERS.values():
            op.execute(definition)
        # Index the emails already there (after the triggers exist: the migration holds the
        # write lock, so no write lands between the two).
        op.execute("INSERT INTO users_email_fts (users_email_fts) VALUES ('rebuild')")
    elif dialect == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute("CREATE INDEX ix_users_email_trgm ON users USING gin (email gin_trgm_ops)")
    else:
        raise UnsupportedDatabase(dialect)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS users_email_fts")
    else:
        op.execute("DROP INDEX IF EXISTS ix_users_email_trgm")  # the extension may serve others: kept
    op.drop_index(op.f("ix_login_lockouts_user_id"), table_name="login_lockouts")
    op.drop_column("login_lockouts", "user_id")
