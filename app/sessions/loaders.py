"""How the auth state reads a login session when its cache does not hold it."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

from sqlalchemy import select

from app.core.identity import SessionState
from app.db.engine import Database
from app.sessions.models import AuthSession


def session_loader(database: Database) -> Callable[[uuid.UUID], Awaitable[SessionState | None]]:
    async def load(session_id: uuid.UUID) -> SessionState | None:
        statement = select(AuthSession.user_id, AuthSession.revoked_at).where(AuthSession.id == session_id)
        async with database.sessionmaker() as db:
            row = (await db.execute(statement)).first()
        return None if row is None else SessionState(user_id=row.user_id, active=row.revoked_at is None)

    return load
