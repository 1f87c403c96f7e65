"""Schema objects that migrations create with raw SQL and no model describes.

SQLite's full-text index of emails is a virtual table (with the shadow tables FTS5 keeps beside
it) and PostgreSQL's trigram index uses an operator class; neither has a SQLAlchemy model. Schema
comparisons (Alembic's autogenerate, the migration tests) leave them out by name.
"""

from __future__ import annotations

from typing import Any

USERS_EMAIL_FTS = "users_email_fts"
USERS_EMAIL_TRGM_INDEX = "ix_users_email_trgm"
# FTS5 keeps an external-content table's index in these (its content stays in `users`).
_FTS5_SHADOW_SUFFIXES = ("", "_data", "_idx", "_docsize", "_config", "_content")

UNMAPPED_TABLES = frozenset(USERS_EMAIL_FTS + suffix for suffix in _FTS5_SHADOW_SUFFIXES)
UNMAPPED_INDEXES = frozenset({USERS_EMAIL_TRGM_INDEX})


def include_name(name: str | None, type_: str, _parent_names: Any) -> bool:
    """Alembic's `include_name` hook: compare everything but the objects above."""
    if type_ == "table":
        return name not in UNMAPPED_TABLES
    if type_ == "index":
        return name not in UNMAPPED_INDEXES
    return True
