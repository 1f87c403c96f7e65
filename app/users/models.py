"""The user account table, built on fastapi-users' SQLAlchemy base, and its running totals."""

from __future__ import annotations

from datetime import datetime

from fastapi_users_db_sqlalchemy import SQLAlchemyBaseUserTableUUID
from sqlalchemy import BigInteger, Boolean, Enum, Index
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, UTCDateTime, utcnow
from app.rbac.roles import Role


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
