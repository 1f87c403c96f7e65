"""User schemas: what clients send and what they get back."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi_users import schemas
from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr

from app.rbac.roles import Role

# Lower-cased, so that uniqueness and look-ups are case-insensitive and can use the index.
Email = Annotated[EmailStr, AfterValidator(str.lower)]
# No length bounds here: the password policy (in the manager) judges every length, so a password
# that is too short or too long gets its 400 with a reason rather than a bare validation error.
Password = str


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    email: str
    role: Role
    is_active: bool
    is_verified: bool
    created_at: datetime


class UserCreate(schemas.CreateUpdateDictModel):
    """Self-registration: only an email and a password. Anything else in the body is ignored."""

    email: Email
    password: Password


class UserUpdate(schemas.CreateUpdateDictModel):
    """What a user may change about themselves."""

    email: Email | None = None
    password: Password | None = None


class AdminUserCreate(schemas.CreateUpdateDictModel):
    email: Email
    password: Password
    role: Role = Role.USER
    is_verified: bool = False


class AdminUserUpdate(schemas.CreateUpdateDictModel):
    email: Email | None = None
    password: Password | None = None
    role: Role | None = None
    is_active: bool | None = None
    is_verified: bool | None = None


class AdminUserRead(UserRead):
    updated_at: datetime
    # Password-login lockout: consecutive failed logins, and the end of the lock while one holds.
    failed_login_count: int = 0
    locked_until: datetime | None = None


class UserPage(BaseModel):
    items: list[AdminUserRead]
    total: int
    limit: int
    offset: int
