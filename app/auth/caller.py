"""Who is calling: the authenticated user and the role they act with on this request."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from app.rbac.roles import Permission, Role, has_permission

if TYPE_CHECKING:
    from app.auth.state import UserSnapshot


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

    @property
    def id(self) -> uuid.UUID:
        return self.user.id

    def can(self, permission: Permission) -> bool:
        return has_permission(self.role, permission)
