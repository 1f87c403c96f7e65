"""The API key table: one row per key ever issued; revoking a key keeps its row for audit."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.core.roles import Role
from app.db.base import Base, UTCDateTime, utcnow
from app.db.fastapi_users_db import GUID


class ApiKey(Base):
    __tablename__ = "api_keys"
    __table_args__ = (Index("ix_api_keys_user_id_created_at", "user_id", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(GUID, primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(GUID, ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    # The start of the key (product prefix and a few random characters), for people to recognise it.
    prefix: Mapped[str] = mapped_column(String(32), nullable=False)
    # HMAC-SHA256 of the whole key, hex: the only form in which the secret is kept.
    key_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True, index=True)
    # The most this key may act as; the owner's current role lowers it further.
    role: Mapped[Role] = mapped_column(
        Enum(
            Role,
            name="api_key_role",
            native_enum=False,
            length=16,
            validate_strings=True,
            values_callable=lambda roles: [role.value for role in roles],
        ),
        nullable=False,
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False, index=True)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
