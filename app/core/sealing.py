"""Secrets the service must read back (TOTP seeds), sealed with AES-256-GCM under a key derived
from SECRET_KEY for that purpose alone (`app.core.secrets.SecretPurpose`).

A sealed value is `v1.` + base64url(nonce || ciphertext || tag). The `context` (e.g. the row's id)
is authenticated with it, so a sealed value copied into another row does not open there. A
database copy without SECRET_KEY yields nothing usable.
"""

from __future__ import annotations

import base64
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

VERSION = "v1."
NONCE_BYTES = 12


class SealBroken(ValueError):
    """The sealed value was made with another key or context, or was altered."""


class SecretBox:
    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise ValueError("SecretBox takes a 256-bit key")
        self._aead = AESGCM(key)

    @classmethod
    def from_secret(cls, secret: str) -> SecretBox:
        """From a purpose's derived secret (64 hex digits: 256 bits)."""
        return cls(bytes.fromhex(secret))

    def seal(self, plaintext: str, *, context: str) -> str:
        nonce = os.urandom(NONCE_BYTES)
        sealed = nonce + self._aead.encrypt(nonce, plaintext.encode(), context.encode())
        return VERSION + base64.urlsafe_b64encode(sealed).decode()

    def open(self, sealed: str, *, context: str) -> str:
        if not sealed.startswith(VERSION):
            raise SealBroken()
        try:
            raw = base64.urlsafe_b64decode(sealed[len(VERSION) :])
            return self._aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], context.encode()).decode()
        except (InvalidTag, ValueError) as error:
            raise SealBroken() from error
