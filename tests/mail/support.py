"""Reading the outbox table directly, as an operator with a database copy would."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from sqlalchemy import select, update

from app.mail.models import OutboxMessage


async def outbox(app: FastAPI) -> list[OutboxMessage]:
    async with app.state.services.database.sessionmaker() as db:
        return list(await db.scalars(select(OutboxMessage).order_by(OutboxMessage.created_at)))


async def set_rows(app: FastAPI, **values: Any) -> None:
    """Change every outbox row (e.g. make a retry due now instead of waiting for the backoff)."""
    async with app.state.services.database.sessionmaker() as db:
        await db.execute(update(OutboxMessage).values(**values))
        await db.commit()
