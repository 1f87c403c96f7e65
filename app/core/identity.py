"""Who is calling: value types that authentication produces and routes consume.

`UserSnapshot` is what a worker remembers of an account between requests; its fields are also the
fields whose change makes a remembered copy stale, and the fields `GET /users/me` answers.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, fields
from datetime import datetime
from enum import StrEnum
from typing import Any

from app.core.roles import Permission, Role, has_permission


@dataclass(frozen=True, slots=True)
class UserSnapshot:
    """An account as authentication sees it."""

    id: uuid.UUID
    email: str
    role: Role
    is_active: bool
    is_verified: bool
    created_at: datetime
    mfa_enabled: bool = False  # a confirmed second factor (app/mfa)

    @classmethod
    def of(cls, row: Any) -> UserSnapshot:
        """From any object with these attributes (the account row)."""
        return cls(**{name: getattr(row, name) for name in snapshot_fields(cls)})


def snapshot_fields(snapshot: type[Any]) -> tuple[str, ...]:
    return tuple(field.name for field in fields(snapshot))


@dataclass(frozen=True, slots=True)
class SessionState:
    """A login session as authentication sees it: whose, and whether it still lets tokens in."""

    user_id: uuid.UUID
    active: bool


@dataclass(frozen=True, slots=True)
class ApiKeySnapshot:
    id: uuid.UUID
    user_id: uuid.UUID
    role: Role
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None


class Credential(StrEnum):
    ACCESS_TOKEN = "access_token"
    API_KEY = "api_key"


@dataclass(frozen=True, slots=True)
class Caller:
    user: UserSnapshot
    # The role this request acts with: the user's role, or less when an API key caps it.
    role: Role
    credential: Credential
    token_id: str | None = None
    session_id: uuid.UUID | None = None
    api_key_id: uuid.UUID | None = None
    api_key_expires_at: datetime | None = None
    # The access token's `amr` (RFC 8176); empty for API keys.
    amr: tuple[str, ...] = ()
    # Roles whose routes this credential reaches only with a second factor in `amr` (MFA policy).
    step_up_roles: frozenset[Role] = frozenset()

    @property
    def id(self) -> uuid.UUID:
        return self.user.id

    def can(self, permission: Permission) -> bool:
        return has_permission(self.role, permission)


USER_AGENT_MAX_LENGTH = 512


@dataclass(frozen=True, slots=True)
class ClientInfo:
    """The client of a request, as a login session records it."""

    user_agent: str | None = None
    ip_address: str | None = None

    @classmethod
    def of(cls, *, user_agent: str | None, ip_address: str | None) -> ClientInfo:
        """Truncates the user agent to what the column holds; an empty one is no user agent."""
        return cls(user_agent=user_agent[:USER_AGENT_MAX_LENGTH] if user_agent else None, ip_address=ip_address)
