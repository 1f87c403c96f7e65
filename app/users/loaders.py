"""How the auth state reads an account when its cache does not hold it."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

from app.core.identity import UserSnapshot
from app.db.engine import Database
from app.users.models import User


def user_loader(database: Database) -> Callable[[uuid.UUID], Awaitable[UserSnapshot | None]]:
    async def load(user_id: uuid.UUID) -> UserSnapshot | None:
        async with database.sessionmaker() as db:
            user = await db.get(User, user_id)
            return UserSnapshot.of(user) if user is not None else None

    return load
