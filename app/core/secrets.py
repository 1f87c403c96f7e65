"""Purpose-bound keys derived from the one server secret.

Each use gets its own key, so a value made for one purpose can never be replayed as another.
`KeyRing` derives every key once, at start-up, and hands out the same hasher for the life of the
process.
"""

from __future__ import annotations

import hashlib
import hmac
from enum import StrEnum

from app.config import Settings


class SecretPurpose(StrEnum):
    ACCESS_TOKEN = "access-token"
    RESET_PASSWORD_TOKEN = "reset-password-token"
    VERIFY_EMAIL_TOKEN = "verify-email-token"
    API_KEY = "api-key"
    REFRESH_TOKEN = "refresh-token"
    LOGIN_LOCKOUT = "login-lockout"
    MFA_FACTOR_SECRET = "mfa-factor-secret"  # the key that encrypts TOTP secrets at rest
    MFA_RECOVERY_CODE = "mfa-recovery-code"
    MFA_TOKEN = "mfa-token"
    MAIL_BODY = "mail-body"  # encrypts queued mail at rest (app/mail/crypto.py)
    EMAIL_CHANGE_TOKEN = "email-change-token"  # signs the links that confirm a new email address


def derive_secret(root: str, purpose: SecretPurpose) -> str:
    return hmac.new(root.encode(), f"gatehouse:{purpose.value}".encode(), hashlib.sha256).hexdigest()


class KeyedHasher:
    """HMAC-SHA256 under one purpose's key: what the database keeps instead of a secret (API keys,
    refresh tokens) or an identifier (lockout emails)."""

    def __init__(self, secret: str) -> None:
        self._secret = secret.encode()

    def digest(self, value: str) -> str:
        return hmac.new(self._secret, value.encode(), hashlib.sha256).hexdigest()


class KeyRing:
    """Every purpose's secret and hasher, derived from SECRET_KEY once."""

    def __init__(self, root_secret: str) -> None:
        self._secrets = {purpose: derive_secret(root_secret, purpose) for purpose in SecretPurpose}
        self._hashers = {purpose: KeyedHasher(secret) for purpose, secret in self._secrets.items()}

    @classmethod
    def from_settings(cls, settings: Settings) -> KeyRing:
        return cls(settings.signing_secret())

    def secret(self, purpose: SecretPurpose) -> str:
        return self._secrets[purpose]

    def hasher(self, purpose: SecretPurpose) -> KeyedHasher:
        return self._hashers[purpose]
