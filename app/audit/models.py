"""`audit_events`: one row per security-relevant event, written in the transaction of the change.

`target_user_id` is deliberately not a foreign key: a user's events outlive the account. Every
listing filter has an index ending in the listing's order (`occurred_at`, `id`), so a filtered page
is read from one end of one index range, whatever the size of the table.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.audit.context import REQUEST_ID_MAX_LENGTH
from app.core.identity import USER_AGENT_MAX_LENGTH
from app.db.base import Base, UTCDateTime, utcnow
from app.db.fastapi_users_db import GUID

TYPE_MAX_LENGTH = 40
IP_ADDRESS_MAX_LENGTH = 45


class AuditEvent(Base):
    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_occurred_at_id", "occurred_at", "id"),
        Index("ix_audit_events_type_occurred_at_id", "type", "occurred_at", "id"),
        Index("ix_audit_events_actor_id_occurred_at_id", "actor_id", "occurred_at", "id"),
        Index("ix_audit_events_target_user_id_occurred_at_id", "target_user_id", "occurred_at", "id"),
        Index("ix_audit_events_ip_address_occurred_at_id", "ip_address", "occurred_at", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(GUID, primary_key=True, default=uuid.uuid4)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    type: Mapped[str] = mapped_column(String(TYPE_MAX_LENGTH), nullable=False)
    actor_kind: Mapped[str] = mapped_column(String(16), nullable=False)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(GUID, nullable=True)
    target_user_id: Mapped[uuid.UUID | None] = mapped_column(GUID, nullable=True)
    ip_address: Mapped[str | None] = mapped_column(String(IP_ADDRESS_MAX_LENGTH), nullable=True)
    user_agent: Mapped[str | None] = mapped_column(String(USER_AGENT_MAX_LENGTH), nullable=True)
    request_id: Mapped[str | None] = mapped_column(String(REQUEST_ID_MAX_LENGTH), nullable=True)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
