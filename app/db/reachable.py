"""Wait for the database at start-up: containers often start before their database answers.

Start-up (each worker, and the `gatehouse` commands that use the database) tries to connect for
STARTUP_CONNECT_TIMEOUT_SECONDS in all, then refuses to start with a `DatabaseUnreachable` that
names DATABASE_URL, the host and port it tried, and the last error.
"""

from __future__ import annotations

import asyncio
import logging
import time

from sqlalchemy import text

from app.config import ConfigurationError, Settings
from app.db.engine import Database

logger = logging.getLogger(__name__)

RETRY_PAUSE_SECONDS = 0.5


class DatabaseUnreachable(ConfigurationError):
    """No connection to DATABASE_URL within STARTUP_CONNECT_TIMEOUT_SECONDS."""


def database_address(database: Database) -> str:
    """Where the database is, for messages: `host:port`, or the SQLite file."""
    url = database.engine.url
    if url.get_backend_name() == "sqlite":
        return url.database or ":memory:"
    return f"{url.host or 'localhost'}:{url.port or 5432}"


async def wait_until_reachable(database: Database, settings: Settings) -> None:
    timeout = settings.startup_connect_timeout_seconds
    deadline = time.monotonic() + timeout
    attempts = 0
    while True:
        attempts += 1
        remaining = max(deadline - time.monotonic(), 0.1)
        try:
            async with asyncio.timeout(remaining):
                async with database.engine.connect() as connection:
                    await connection.execute(text("SELECT 1"))
            return
        except Exception as error:  # whatever the driver raises, the answer is "not reachable yet"
            last = error
        if time.monotonic() + RETRY_PAUSE_SECONDS >= deadline:
            break
        if attempts == 1:
            logger.warning(
                "the database at %s does not answer yet; retrying for %gs", database_address(database), timeout
            )
        await asyncio.sleep(RETRY_PAUSE_SECONDS)
    raise DatabaseUnreachable(
        f"DATABASE_URL: no connection to {database_address(database)} within "
        f"STARTUP_CONNECT_TIMEOUT_SECONDS={timeout:g} ({_describe(last)}); start the database "
        "or correct DATABASE_URL"
    ) from last


def _describe(error: BaseException) -> str:
    cause = getattr(error, "orig", None) or error  # SQLAlchemy wraps the driver's own error
    if isinstance(cause, TimeoutError):
        return "no answer"
    message = " ".join(str(cause).split())[:160]
    return f"{type(cause).__name__}: {message}" if message else type(cause).__name__
