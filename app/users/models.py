"""The user account table, built on fastapi-users' SQLAlchemy base."""

from __future__ import annotations

from datetime import datetime

from fastapi_users_db_sqlalchemy import SQLAlchemyBaseUserTableUUID
from sqlalchemy import Enum, Index
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, UTCDateTime, utcnow
from app.rbac.roles import Role


class User(SQLAlchemyBaseUserTableUUID, Base):
    __tablename__ = "users"
    __table_args__ = (Index("ix_users_role_is_active", "role", "is_active"),)

    # Emails are stored lower-cased (see `app.users.schemas.Email`), so the unique index on
    # `email` makes them unique case-insensitively, even for two registrations racing.
    role: Mapped[Role] = mapped_column(
        Enum(
            Role,
            name="user_role",
            native_enum=False,
            length=16,
            validate_strings=True,
            values_callable=lambda roles: [role.value for role in roles],
        ),
        default=Role.USER,
        nullable=False,
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow, nullable=False)

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN
