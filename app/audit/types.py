"""The event types (stable strings) and who an event is attributed to."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum

from app.core.identity import Caller, Credential


class EventType(StrEnum):
    USER_REGISTERED = "user.registered"
    USER_CREATED = "user.created"
    USER_UPDATED = "user.updated"  # an admin's change; `fields` names what changed
    USER_ROLE_CHANGED = "user.role_changed"
    USER_DEACTIVATED = "user.deactivated"
    USER_REACTIVATED = "user.reactivated"
    USER_VERIFIED = "user.verified"
    USER_DELETED = "user.deleted"
    USER_UNLOCKED = "user.unlocked"
    LOGIN_SUCCEEDED = "login.succeeded"
    LOGIN_FAILED = "login.failed"
    LOGIN_LOCKED = "login.locked"  # a lock starting
    LOGIN_MFA_REQUIRED = "login.mfa_required"
    MFA_SUCCEEDED = "mfa.succeeded"
    MFA_FAILED = "mfa.failed"
    MFA_ENABLED = "mfa.enabled"
    MFA_DISABLED = "mfa.disabled"
    MFA_RESET = "mfa.reset"
    SESSION_REUSE_DETECTED = "session.reuse_detected"
    SESSION_REVOKED = "session.revoked"
    LOGOUT = "logout"
    PASSWORD_CHANGED = "password.changed"
    PASSWORD_RESET_REQUESTED = "password.reset_requested"
    PASSWORD_RESET = "password.reset"
    EMAIL_CHANGE_REQUESTED = "email.change_requested"
    EMAIL_CHANGED = "email.changed"
    API_KEY_CREATED = "api_key.created"
    API_KEY_REVOKED = "api_key.revoked"
    SESSIONS_REVOKED_BY_ADMIN = "sessions.revoked_by_admin"
    MAIL_FAILED = "mail.failed"


class LoginFailure(StrEnum):
    """`login.failed` `reason`."""

    BAD_CREDENTIALS = "bad_credentials"
    LOCKED = "locked"
    INACTIVE = "inactive"
    UNVERIFIED = "unverified"


class ActorKind(StrEnum):
    USER = "user"
    API_KEY = "api_key"
    ANONYMOUS = "anonymous"
    SYSTEM = "system"


@dataclass(frozen=True, slots=True)
class Actor:
    """Who caused an event. An API key is named by its own id; `owner_id` is the key's owner."""

    kind: ActorKind
    id: uuid.UUID | None = None
    owner_id: uuid.UUID | None = None

    @classmethod
    def user(cls, user_id: uuid.UUID) -> Actor:
        return cls(ActorKind.USER, user_id)

    @classmethod
    def of(cls, caller: Caller) -> Actor:
        """The authenticated caller of a request: their account, or the API key they call with."""
        if caller.credential is Credential.API_KEY and caller.api_key_id is not None:
            return cls(ActorKind.API_KEY, caller.api_key_id, owner_id=caller.id)
        return cls(ActorKind.USER, caller.id)


ANONYMOUS = Actor(ActorKind.ANONYMOUS)
SYSTEM = Actor(ActorKind.SYSTEM)
