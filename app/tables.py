"""Every table of the application, imported so that `Base.metadata` knows them all (for Alembic)."""

from app.api_keys.models import ApiKey
from app.audit.models import AuditEvent
from app.authstate.changes import AuthEvent
from app.db.base import Base
from app.items.models import Item
from app.lockout.models import LoginLockout
from app.mail.models import OutboxMessage
from app.mfa.models import MfaChallenge, MfaFactor, MfaRecoveryCode
from app.sessions.models import AuthSession, RefreshToken
from app.users.models import User, UserCount

__all__ = [
    "ApiKey",
    "AuditEvent",
    "AuthEvent",
    "AuthSession",
    "Base",
    "Item",
    "LoginLockout",
    "MfaChallenge",
    "MfaFactor",
    "MfaRecoveryCode",
    "OutboxMessage",
    "RefreshToken",
    "User",
    "UserCount",
]
