"""What the session routes return."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field

from app.sessions.models import AuthSession


class SessionRead(BaseModel):
    id: uuid.UUID
    created_at: datetime
    last_refreshed_at: datetime | None = Field(description="The latest refresh; null until the first one.")
    user_agent: str | None = Field(description="User-Agent of the latest login or refresh.")
    ip_address: str | None = Field(description="Client address of the latest login or refresh.")
    current: bool = Field(description="Whether this is the session of the token making this request.")

    @classmethod
    def of(cls, session: AuthSession, *, current_session_id: uuid.UUID | None) -> SessionRead:
        return cls(
            id=session.id,
            created_at=session.created_at,
            last_refreshed_at=session.last_refreshed_at,
            user_agent=session.user_agent,
            ip_address=session.ip_address,
            current=session.id == current_session_id,
        )
