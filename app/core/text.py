"""Text the service can store, hash and compare: the rules every input goes through."""

from __future__ import annotations

import re
import unicodedata


def is_storable(text: str) -> bool:
    """Encodable as UTF-8 (no lone surrogate) and without NUL, which PostgreSQL text cannot hold."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\x00" not in text


# Unicode's control characters (category Cc): C0, DEL and C1. One regular expression scans a
# megabyte in milliseconds, where a loop over the characters would hold the event loop.
CONTROL_CHARACTERS = re.compile("[\x00-\x1f\x7f-\x9f]")


def has_control_characters(text: str) -> bool:
    return CONTROL_CHARACTERS.search(text) is not None


def normalise_password(password: str) -> str:
    """NFKC, as NIST SP 800-63B asks, so that a password typed on another keyboard or system in
    another but equivalent form of the same characters still matches."""
    return unicodedata.normalize("NFKC", password)
