"""Request values that every supported database can store, checked where requests come in.

PostgreSQL text cannot hold the NUL character (SQLite can), and database integers have 64 bits.
A value beyond either would fail inside the database as a 500; refused at the edge it is a 422
that names the field, the same on every backend.
"""

from __future__ import annotations

from pydantic import AfterValidator

MAX_INTEGER = 2**63 - 1


def _without_nul(value: str | None) -> str | None:
    if value is not None and "\x00" in value:
        raise ValueError("must not contain the NUL character (U+0000)")
    return value


StorableText = AfterValidator(_without_nul)
