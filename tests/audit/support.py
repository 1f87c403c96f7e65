"""Reading the audit trail straight from the database, as a test's assertions need it."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import FastAPI
from sqlalchemy import select

from app.audit.models import AuditEvent


async def events(app: FastAPI, type: str | None = None, **columns: Any) -> list[AuditEvent]:
    """The recorded events, oldest first, of one type (or prefix ending in `.`) and column values."""
    statement = select(AuditEvent).order_by(AuditEvent.occurred_at, AuditEvent.id)
    if type is not None:
        statement = statement.where(AuditEvent.type.startswith(type) if type.endswith(".") else AuditEvent.type == type)
    for name, value in columns.items():
        statement = statement.where(getattr(AuditEvent, name) == value)
    async with app.state.services.database.sessionmaker() as db:
        return list((await db.scalars(statement)).all())


async def one(app: FastAPI, type: str, **columns: Any) -> AuditEvent:
    found = await events(app, type, **columns)
    assert len(found) == 1, [(event.type, event.details) for event in await events(app)]
    return found[0]


def by_user(event: AuditEvent, user_id: uuid.UUID) -> bool:
    return event.actor_kind == "user" and event.actor_id == user_id
