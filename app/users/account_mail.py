"""The mail an account change sends: email-change confirmation tokens, and which notices are on.

An email change is confirmed by a link to the new address. Its token is a JWT under its own key
(`SecretPurpose.EMAIL_CHANGE_TOKEN`) naming the account and the new address, with an HMAC
fingerprint of the account's current email and password hash: once the change applies (or the
email or password changes otherwise) the fingerprint no longer matches and the token is spent.
"""

from __future__ import annotations

import hashlib
import hmac
import time
import uuid
from dataclasses import dataclass

import jwt

from app.config import Settings
from app.core.notifications import MailKind, Outbox
from app.core.secrets import KeyRing, SecretPurpose
from app.core.text import is_storable
from app.users.errors import EmailChangeBadToken
from app.users.models import User

EMAIL_CHANGE_AUDIENCE = "gatehouse:email-change"
EMAIL_CHANGE_TOKEN_TTL_SECONDS = 86_400


@dataclass(frozen=True, slots=True)
class EmailChangeRequest:
    user_id: uuid.UUID
    new_email: str
    fingerprint: str


class EmailChangeTokens:
    def __init__(self, secret: str, *, ttl_seconds: int = EMAIL_CHANGE_TOKEN_TTL_SECONDS) -> None:
        self._secret = secret
        self.ttl_seconds = ttl_seconds

    def fingerprint(self, user: User) -> str:
        state = f"{user.email}\0{user.hashed_password}".encode()
        return hmac.new(self._secret.encode(), state, hashlib.sha256).hexdigest()

    def issue(self, user: User, *, new_email: str) -> str:
        claims = {
            "sub": str(user.id),
            "new_email": new_email,
            "fgpt": self.fingerprint(user),
            "aud": EMAIL_CHANGE_AUDIENCE,
            "exp": int(time.time()) + self.ttl_seconds,
        }
        return jwt.encode(claims, self._secret, algorithm="HS256")

    def read(self, token: str) -> EmailChangeRequest:
        if not is_storable(token):
            raise EmailChangeBadToken()
        try:
            claims = jwt.decode(token, self._secret, algorithms=["HS256"], audience=EMAIL_CHANGE_AUDIENCE)
            return EmailChangeRequest(
                user_id=uuid.UUID(str(claims["sub"])),
                new_email=str(claims["new_email"]),
                fingerprint=str(claims["fgpt"]),
            )
        except (jwt.PyJWTError, KeyError, ValueError) as error:
            raise EmailChangeBadToken() from error


# The setting that switches each notice off.
NOTICE_SETTINGS: dict[MailKind, str] = {
    MailKind.PASSWORD_CHANGED: "notify_password_changed",
    MailKind.PASSWORD_RESET: "notify_password_reset",
    MailKind.EMAIL_CHANGE_REQUESTED: "notify_email_changed",
    MailKind.EMAIL_CHANGED: "notify_email_changed",
    MailKind.API_KEY_CREATED: "notify_api_key_created",
    MailKind.ACCOUNT_DEACTIVATED: "notify_account_deactivated",
    MailKind.ACCOUNT_REACTIVATED: "notify_account_reactivated",
}


@dataclass(frozen=True, slots=True)
class AccountMail:
    """What the users domain needs to send mail: the outbox, the email-change tokens, and the
    notices that are on."""

    outbox: Outbox
    email_change: EmailChangeTokens
    notices: frozenset[MailKind]

    @classmethod
    def build(cls, *, settings: Settings, keys: KeyRing, outbox: Outbox) -> AccountMail:
        return cls(
            outbox=outbox,
            email_change=EmailChangeTokens(keys.secret(SecretPurpose.EMAIL_CHANGE_TOKEN)),
            notices=frozenset(kind for kind, name in NOTICE_SETTINGS.items() if getattr(settings, name)),
        )
