"""The answer of the audit listings: a page of events, newest first, and the next page's cursor."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from app.audit.models import AuditEvent


class ActorRead(BaseModel):
    kind: str = Field(description="user, api_key, anonymous or system")
    id: uuid.UUID | None = Field(description="The account, or the API key (its owner is in details), or null")


class AuditEventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    occurred_at: datetime
    type: str
    actor: ActorRead
    target_user_id: uuid.UUID | None
    ip_address: str | None
    user_agent: str | None
    request_id: str | None
    details: dict[str, Any]

    @classmethod
    def of(cls, event: AuditEvent) -> AuditEventRead:
        return cls(
            id=event.id,
            occurred_at=event.occurred_at,
            type=event.type,
            actor=ActorRead(kind=event.actor_kind, id=event.actor_id),
            target_user_id=event.target_user_id,
            ip_address=event.ip_address,
            user_agent=event.user_agent,
            request_id=event.request_id,
            details=event.details,
        )


class AuditEventPage(BaseModel):
    items: list[AuditEventRead]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next (older) page; null on the last page")
