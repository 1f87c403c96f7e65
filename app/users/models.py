"""The user account table, built on fastapi-users' SQLAlchemy base, and its running totals."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Enum, Index, false
from sqlalchemy.orm import Mapped, mapped_column, validates

from app.authstate.changes import track_changes
from app.core.identity import UserSnapshot, snapshot_fields
from app.core.roles import Role
from app.db.base import Base, UTCDateTime, utcnow
from app.db.fastapi_users_db import SQLAlchemyBaseUserTableUUID


def _role_type() -> Enum:
    return Enum(
        Role,
        name="user_role",
        native_enum=False,
        length=16,
        validate_strings=True,
        values_callable=lambda roles: [role.value for role in roles],
    )


class User(SQLAlchemyBaseUserTableUUID, Base):
    __tablename__ = "users"
    __table_args__ = (Index("ix_users_role_is_active", "role", "is_active"),)

    # Emails are stored lower-cased (see `app.users.schemas.Email`), so the unique index on
    # `email` makes them unique case-insensitively, even for two registrations racing.
    role: Mapped[Role] = mapped_column(_role_type(), default=Role.USER, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow, nullable=False)
    # Whether the user has a confirmed second factor (app/mfa keeps it with the factors, in the
    # same transaction): what authentication and the MFA policy read, with no extra query.
    mfa_enabled: Mapped[bool] = mapped_column(Boolean(), default=False, server_default=false(), nullable=False)

    @validates("role")
    def _superuser_follows_role(self, _key: str, role: Role) -> Role:
        # fastapi-users' `is_superuser` column is never set on its own: it is derived from the
        # role, here and nowhere else.
        self.is_superuser = Role(role) is Role.ADMIN
        return role


# The columns, for SQL expressions. fastapi-users declares `User.email` and its other columns as
# plain attributes to type checkers (so that the class matches its `UserProtocol`); queries name
# them through the table instead.
columns = User.__table__.c

# What a worker caches of an account is stale when one of these changes; a new password also ends
# the user's sessions.
USER_AUTH_FIELDS = (*snapshot_fields(UserSnapshot), "hashed_password")
track_changes(User, fields=USER_AUTH_FIELDS)


class UserCount(Base):
    """How many users have each (role, is_active): the admin list's `total` without counting rows.

    Written only by database triggers on `users` (migration 0005), in the same transaction as the
    change, so every writer keeps it exact: the ORM, fastapi-users, raw SQL, bulk loads. Never
    write to it from the application.
    """

    __tablename__ = "user_counts"

    role: Mapped[Role] = mapped_column(_role_type(), primary_key=True)
    is_active: Mapped[bool] = mapped_column(Boolean(), primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger(), nullable=False)
