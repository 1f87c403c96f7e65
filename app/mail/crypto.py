"""Message bodies at rest: Fernet (AES-128-CBC with HMAC-SHA256) under a key derived from SECRET_KEY.

A copy of the database therefore holds no readable link; changing SECRET_KEY makes queued
messages undecipherable, and the sender marks them failed.
"""

from __future__ import annotations

import base64
import json

from cryptography.fernet import Fernet, InvalidToken

from app.core.secrets import KeyRing, SecretPurpose


class UndecipherableBody(Exception):
    """The body was encrypted under another key (SECRET_KEY changed) or is damaged."""


class BodyCipher:
    def __init__(self, keys: KeyRing) -> None:
        key = bytes.fromhex(keys.secret(SecretPurpose.MAIL_BODY))  # 32 bytes
        self._fernet = Fernet(base64.urlsafe_b64encode(key))

    def seal(self, parts: dict[str, str]) -> bytes:
        return self._fernet.encrypt(json.dumps(parts).encode())

    def open(self, body: bytes) -> dict[str, str]:
        try:
            parts: dict[str, str] = json.loads(self._fernet.decrypt(body))
        except (InvalidToken, ValueError) as error:
            raise UndecipherableBody() from error
        return parts
