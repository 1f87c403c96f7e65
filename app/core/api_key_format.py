"""The shape of an API key, checked offline, and the keyed hash that is all the database keeps.

A key reads `gatehouse_<43 random base62 characters><6 base62 characters of CRC32>`:

* The fixed `gatehouse_` prefix lets people and secret scanners recognise a leaked key
  (`gatehouse_[0-9A-Za-z]{49}`).
* 43 characters drawn by `secrets` from 62 carry 256 bits of entropy: far beyond guessing, which
  is also why a fast keyed hash is enough (a slow password hash protects low-entropy secrets).
* The CRC32 of the random part (as GitHub's tokens do) turns away a mistyped or truncated key, or
  a string that merely looks like one, without a database look-up. It is no protection against
  forgery, and needs none: a forged key still has to match a stored hash.

The database stores HMAC-SHA256(key) under a server secret derived for this purpose only
(`SecretPurpose.API_KEY`), plus a short display prefix, so a database dump alone yields nothing that authenticates.
"""

from __future__ import annotations

import hmac
import re
import secrets
import string
import zlib

PREFIX = "gatehouse_"
ALPHABET = string.digits + string.ascii_uppercase + string.ascii_lowercase  # base62
RANDOM_LENGTH = 43  # 62**43 > 2**256
CHECKSUM_LENGTH = 6  # 62**6 > 2**32, so any CRC32 fits
KEY_LENGTH = len(PREFIX) + RANDOM_LENGTH + CHECKSUM_LENGTH
# What lists show so the owner can tell keys apart: the product prefix and 8 random characters.
DISPLAY_LENGTH = len(PREFIX) + 8
KEY_PATTERN = re.compile(rf"{PREFIX}[0-9A-Za-z]{{{RANDOM_LENGTH + CHECKSUM_LENGTH}}}")


def _base62(number: int, *, width: int) -> str:
    digits = []
    for _ in range(width):
        number, remainder = divmod(number, 62)
        digits.append(ALPHABET[remainder])
    return "".join(reversed(digits))


def _checksum(random_part: str) -> str:
    return _base62(zlib.crc32(random_part.encode("ascii")), width=CHECKSUM_LENGTH)


def generate_key() -> str:
    random_part = "".join(secrets.choice(ALPHABET) for _ in range(RANDOM_LENGTH))
    return f"{PREFIX}{random_part}{_checksum(random_part)}"


def is_well_formed(key: str) -> bool:
    """Right prefix, length, alphabet and checksum: worth a database look-up."""
    if len(key) != KEY_LENGTH or not KEY_PATTERN.fullmatch(key):
        return False
    random_part, checksum = key[len(PREFIX) : -CHECKSUM_LENGTH], key[-CHECKSUM_LENGTH:]
    return hmac.compare_digest(_checksum(random_part), checksum)


def display_prefix(key: str) -> str:
    return key[:DISPLAY_LENGTH]
