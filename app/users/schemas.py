"""User schemas: what clients send and what they get back."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, get_type_hints

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, StringConstraints, create_model

from app.core.identity import UserSnapshot
from app.core.pagination import Page
from app.core.roles import Role

# Lower-cased, so that uniqueness and look-ups are case-insensitive and can use the index.
Email = Annotated[EmailStr, AfterValidator(str.lower)]
# No length bounds here: the password policy (`app.users.password_policy`) judges every length, so
# a password that is too short or too long gets its 400 with a reason rather than a bare
# validation error.
Password = str


class _ReadFromRow(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# `GET /users/me`: exactly what authentication knows of an account, built from `UserSnapshot` so
# the two cannot drift apart.
UserRead: type[BaseModel] = create_model(
    "UserRead",
    __base__=_ReadFromRow,
    **{name: (kind, ...) for name, kind in get_type_hints(UserSnapshot).items()},  # type: ignore[call-overload]
)


class UserCreate(BaseModel):
    """Self-registration: only an email and a password. Anything else in the body is ignored."""

    email: Email
    password: Password


class UserUpdate(BaseModel):
    """What a user may change about themselves. A new email or password needs `current_password`."""

    email: Email | None = None
    password: Password | None = None
    current_password: Password | None = None

    def changes(self) -> dict[str, Any]:
        return self.model_dump(exclude_unset=True, exclude={"current_password"})


class UserUpdateRead(UserRead):
    """`PATCH /users/me`: the account as it is now, and the address waiting for its confirmation."""

    pending_email: str | None = None


class EmailChangeConfirm(BaseModel):
    token: Annotated[str, StringConstraints(max_length=8192)]


class AdminUserCreate(BaseModel):
    email: Email
    password: Password
    role: Role = Role.USER
    is_verified: bool = False


class AdminUserUpdate(BaseModel):
    email: Email | None = None
    password: Password | None = None
    role: Role | None = None
    is_active: bool | None = None
    is_verified: bool | None = None

    def changes(self) -> dict[str, Any]:
        return self.model_dump(exclude_unset=True)


class AdminUserRead(UserRead):
    updated_at: datetime
    # Password-login lockout: consecutive failed logins, and the end of the lock while one holds.
    failed_login_count: int = 0
    locked_until: datetime | None = None


class UserPage(Page[AdminUserRead]):
    # False when the matches were counted only up to a bound: `total` is then "at least".
    total_exact: bool = True
