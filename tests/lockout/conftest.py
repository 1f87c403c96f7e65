"""Helpers for driving password logins into and out of a lockout."""

from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update

from app.db.base import utcnow
from app.lockout.models import LoginLockout

WRONG_PASSWORD = "certainly-not-the-password"


async def log_in(client: httpx.AsyncClient, email: str, password: str = WRONG_PASSWORD) -> httpx.Response:
    return await client.post("/auth/jwt/login", data={"username": email, "password": password})


class Clock:
    """Moves stored locks into the past, instead of waiting for them to end."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app

    async def end_all_locks(self) -> None:
        async with self.app.state.services.database.sessionmaker() as session:
            await session.execute(update(LoginLockout).values(locked_until=utcnow() - timedelta(seconds=1)))
            await session.commit()


@pytest.fixture
def clock(app: FastAPI) -> Clock:
    return Clock(app)
