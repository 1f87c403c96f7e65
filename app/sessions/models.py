"""A login session and the refresh tokens it has issued."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.core.identity import USER_AGENT_MAX_LENGTH
from app.db.base import Base, UTCDateTime, utcnow
from app.db.fastapi_users_db import GUID

REVOKED_REASON_MAX_LENGTH = 32
AMR_MAX_LENGTH = 64


class AuthSession(Base):
    """One login. Its refresh tokens form one family: ending the session ends all of them, and
    the access tokens that carry its id."""

    __tablename__ = "auth_sessions"
    __table_args__ = (Index("ix_auth_sessions_user_id_revoked_at", "user_id", "revoked_at"),)

    id: Mapped[uuid.UUID] = mapped_column(GUID, primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(GUID, ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    last_refreshed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # The expiry of its newest refresh token: a session unused for the refresh lifetime ends.
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, index=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True, index=True)
    revoked_reason: Mapped[str | None] = mapped_column(String(REVOKED_REASON_MAX_LENGTH), nullable=True)
    # The client of the latest login or refresh, for the owner to recognise the session.
    user_agent: Mapped[str | None] = mapped_column(String(USER_AGENT_MAX_LENGTH), nullable=True)
    ip_address: Mapped[str | None] = mapped_column(String(45), nullable=True)
    # How the login authenticated (RFC 8176 `amr`, space-separated): every token of the session carries it.
    amr: Mapped[str] = mapped_column(String(AMR_MAX_LENGTH), default="pwd", server_default="pwd", nullable=False)


class RefreshToken(Base):
    """A refresh token, stored only as its keyed hash. `used_at` is set once, when it is exchanged:
    a second exchange is reuse."""

    __tablename__ = "refresh_tokens"

    id: Mapped[uuid.UUID] = mapped_column(GUID, primary_key=True, default=uuid.uuid4)
    session_id: Mapped[uuid.UUID] = mapped_column(
        GUID, ForeignKey("auth_sessions.id", ondelete="CASCADE"), nullable=False, index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, index=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # The token it was exchanged for (the first one, when a grace-window exchange added another).
    replaced_by: Mapped[uuid.UUID | None] = mapped_column(GUID, nullable=True)
