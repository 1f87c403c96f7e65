"""Purpose-bound keys derived from the one server secret.

Each use (reset-password tokens, verification tokens, API key hashes, refresh token hashes) gets
its own key, so a value made for one purpose can never be replayed as another.
"""

from __future__ import annotations

import hashlib
import hmac

from app.config import Settings


def derive_secret(settings: Settings, purpose: str) -> str:
    root = settings.signing_secret().encode()
    return hmac.new(root, f"gatehouse:{purpose}".encode(), hashlib.sha256).hexdigest()


class KeyedHasher:
    """HMAC-SHA256 under a secret derived from SECRET_KEY for one purpose: what the database
    keeps instead of a secret (API keys, refresh tokens) or an identifier (lockout emails)."""

    def __init__(self, settings: Settings, purpose: str) -> None:
        self._secret = derive_secret(settings, purpose).encode()

    def digest(self, value: str) -> str:
        return hmac.new(self._secret, value.encode(), hashlib.sha256).hexdigest()
