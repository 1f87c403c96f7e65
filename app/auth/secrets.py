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
