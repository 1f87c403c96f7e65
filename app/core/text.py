"""Text the service can store, hash and compare: the rules every input goes through."""

from __future__ import annotations

import unicodedata


def is_storable(text: str) -> bool:
    """Encodable as UTF-8 (no lone surrogate) and without NUL, which PostgreSQL text cannot hold."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\x00" not in text


def has_control_characters(text: str) -> bool:
    return any(unicodedata.category(character) == "Cc" for character in text)


def normalise_password(password: str) -> str:
    """NFKC, as NIST SP 800-63B asks, so that a password typed on another keyboard or system in
    another but equivalent form of the same characters still matches."""
    return unicodedata.normalize("NFKC", password)
