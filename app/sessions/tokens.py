"""Refresh tokens: opaque random strings, of which the database keeps only a keyed hash.

A token reads `gatehouse_rt_<43 base64url characters>` (256 random bits). The prefix lets people
and secret scanners recognise a leaked one, and lets the service turn away anything else (an
access token, a reset-password token) before any database look-up. The stored value is
HMAC-SHA256 under a secret derived for refresh tokens alone (`SecretPurpose.REFRESH_TOKEN`), so a
database dump yields nothing that can be exchanged.
"""

from __future__ import annotations

import re
import secrets

PREFIX = "gatehouse_rt_"
RANDOM_BYTES = 32
TOKEN_PATTERN = re.compile(rf"{PREFIX}[A-Za-z0-9_-]{{43}}")


def generate_refresh_token() -> str:
    return PREFIX + secrets.token_urlsafe(RANDOM_BYTES)


def is_well_formed(token: str) -> bool:
    return TOKEN_PATTERN.fullmatch(token) is not None
