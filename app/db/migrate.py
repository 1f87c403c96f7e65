"""Bring the database to the latest migration at start-up.

Several workers (or instances) may start at once, so the upgrade runs under a lock: a
PostgreSQL advisory lock, or an exclusive file lock beside the SQLite database. The first
worker migrates; the others wait, then find nothing left to do.
"""

from __future__ import annotations

import asyncio
import fcntl
import logging
from functools import lru_cache
from pathlib import Path
from typing import IO

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection

from app.db.engine import Database

logger = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"
# An arbitrary, fixed 64-bit key naming "Gatehouse migrations" among advisory locks.
ADVISORY_LOCK_KEY = 0x6761746568_6F757365 & 0x7FFFFFFFFFFFFFFF


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


@lru_cache(maxsize=1)
def head_revision() -> str | None:
    """The newest revision of the migrations shipped with this code (read once per process)."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


async def migrate(database: Database) -> None:
    engine = database.engine
    if engine.dialect.name == "sqlite":
        lock_path = Path(f"{engine.url.database}.migrate.lock") if engine.url.database else None
        handle = await asyncio.to_thread(_acquire_file_lock, lock_path)
        try:
            async with engine.connect() as connection:
                await _upgrade(connection)
        finally:
            if handle is not None:
                handle.close()
        return
    async with engine.connect() as connection:
        await connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": ADVISORY_LOCK_KEY})
        try:
            await _upgrade(connection)
        finally:
            await connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_LOCK_KEY})
            await connection.commit()


async def _upgrade(connection: AsyncConnection) -> None:
    await connection.run_sync(_upgrade_on)
    await connection.commit()


def _upgrade_on(connection: Connection) -> None:
    # Most start-ups find the database already at the head: one query says so, without loading
    # Alembic's environment and every revision file again.
    current, head = current_revision(connection), head_revision()
    if current == head:
        logger.info("database schema at revision %s, the latest: no migration to apply", head)
        return
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, "head")
    logger.info("database migrated from revision %s to %s", current or "(empty database)", head)


def _acquire_file_lock(path: Path | None) -> IO[str] | None:
    if path is None or path.name.startswith(":memory:"):
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = path.open("a")
    fcntl.flock(handle, fcntl.LOCK_EX)  # blocks in a thread, not on the event loop
    return handle


async def _migrate_from_settings() -> None:
    from app.config import get_settings
    from app.db.engine import create_database

    database = create_database(get_settings())
    try:
        await migrate(database)
    finally:
        await database.dispose()


if __name__ == "__main__":  # `python -m app.db.migrate`: the release step of a deployment
    asyncio.run(_migrate_from_settings())
