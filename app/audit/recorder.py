"""Recording an event: a row added to the caller's transaction, never committed here.

The change and its event commit together or not at all: a rolled-back change leaves no event, and
a committed one always has its event. An event that records no change (a failed login) is added to
a transaction of its own, which the caller commits.

`details` is a small JSON object describing the event; it never holds a password, token, key or
code (`record_event` refuses member names that suggest one).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from enum import Enum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.context import current_origin, current_request_id
from app.audit.models import AuditEvent
from app.audit.types import Actor, ActorKind, EventType
from app.db.base import utcnow

# Member names that would suggest a secret; details name secrets by id only (`api_key_id`).
_SECRET_WORDS = ("password", "token", "secret", "code", "otp")
API_KEY_OWNER = "api_key_owner_id"


def record_event(
    db: AsyncSession,
    type: EventType,
    *,
    actor: Actor,
    target_user_id: uuid.UUID | None = None,
    details: Mapping[str, Any] | None = None,
) -> AuditEvent:
    """Add one event to `db`'s transaction, with the current request's client and request id."""
    values = {name: _plain(value) for name, value in (details or {}).items()}
    if unsafe := [name for name in values if name == "key" or any(word in name for word in _SECRET_WORDS)]:
        raise ValueError(f"audit details never hold secrets: {unsafe}")
    if actor.kind is ActorKind.API_KEY and actor.owner_id is not None:
        values[API_KEY_OWNER] = str(actor.owner_id)
    origin = current_origin()
    event = AuditEvent(
        id=uuid.uuid4(),
        occurred_at=utcnow(),
        type=type.value,
        actor_kind=actor.kind.value,
        actor_id=actor.id,
        target_user_id=target_user_id,
        ip_address=origin.ip_address,
        user_agent=origin.user_agent,
        request_id=current_request_id(),
        details=values,
    )
    db.add(event)
    return event


def _plain(value: Any) -> Any:
    """A JSON value: ids and times as strings, enums as their values."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value
