"""The one spelling of an email that look-ups, uniqueness and lockout keys compare."""

from __future__ import annotations


def normalise_email(email: str) -> str:
    return email.strip().lower()
