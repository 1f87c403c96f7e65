"""The one spelling of an email that look-ups, uniqueness and lockout keys compare."""

from __future__ import annotations

import unicodedata


def normalise_email(email: str) -> str:
    """NFC, then lower case: `josé` typed composed or decomposed is one address."""
    return unicodedata.normalize("NFC", email.strip()).lower()
