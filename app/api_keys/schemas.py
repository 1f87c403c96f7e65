"""API key schemas. The secret appears in `ApiKeyCreated` only, the one answer that carries it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, field_validator

from app.api_keys.models import ApiKey
from app.core.pagination import Page
from app.core.roles import Role
from app.core.storable import StorableText
from app.db.base import utcnow

KeyName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), StorableText]


class ApiKeyCreate(BaseModel):
    # Unknown fields are refused: a misspelt `expires_at` must not quietly make a key that never expires.
    model_config = ConfigDict(extra="forbid")

    name: KeyName
    expires_at: AwareDatetime | None = Field(
        default=None, description="ISO 8601 with a time zone (e.g. 2030-01-31T00:00:00Z), in the future."
    )
    role: Role | None = Field(
        default=None,
        description="The most this key may act as, at most your own role. Default: the role you act with now.",
    )

    @field_validator("expires_at")
    @classmethod
    def _in_the_future(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        try:
            value.astimezone(UTC)  # how it is stored
        except OverflowError as error:
            raise ValueError("expires_at must be at most 9999-12-31T23:59:59Z") from error
        if value <= utcnow():
            raise ValueError("expires_at must be in the future")
        return value


class ApiKeyRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    prefix: str
    role: Role
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None


class AdminApiKeyRead(ApiKeyRead):
    user_id: uuid.UUID


class ApiKeyPage(Page[AdminApiKeyRead]):
    pass


class ApiKeyCreated(BaseModel):
    id: uuid.UUID
    name: str
    prefix: str
    role: Role
    created_at: datetime
    expires_at: datetime | None
    key: str = Field(description="The API key. Shown this once: store it now, it cannot be read again.")

    @classmethod
    def of(cls, api_key: ApiKey, *, secret: str) -> ApiKeyCreated:
        return cls(
            id=api_key.id,
            name=api_key.name,
            prefix=api_key.prefix,
            role=api_key.role,
            created_at=api_key.created_at,
            expires_at=api_key.expires_at,
            key=secret,
        )
