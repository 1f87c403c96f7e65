"""Request values that every supported database can store, checked where requests come in.

PostgreSQL text cannot hold the NUL character (SQLite can), no database can store a lone surrogate
(JSON `"\ud800"` decodes to one), and database integers have 64 bits.
A value beyond either would fail inside the database as a 500; refused at the edge it is a 422
that names the field, the same on every backend.
"""

from __future__ import annotations

from pydantic import AfterValidator

from app.core.text import is_storable

MAX_INTEGER = 2**63 - 1


def _storable(value: str | None) -> str | None:
    if value is not None and not is_storable(value):
        raise ValueError("must be valid Unicode without the NUL character (U+0000) or lone surrogates")
    return value


StorableText = AfterValidator(_storable)
