"""Recovery codes: ten single-use codes, 50 random bits each, shown once and stored as keyed hashes."""

from __future__ import annotations

import secrets

CODE_COUNT = 10
ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read from paper
GROUP = 5


def new_codes() -> list[str]:
    return [_code() for _ in range(CODE_COUNT)]


def _code() -> str:
    chars = "".join(secrets.choice(ALPHABET) for _ in range(2 * GROUP))
    return f"{chars[:GROUP]}-{chars[GROUP:]}"


def normalise(code: str) -> str:
    """What the user typed, as stored: case, spaces and dashes do not matter."""
    return "".join(char for char in code.lower() if char not in " -")
