"""Engine and session factory for the configured database.

SQLite (the embedded default) runs in WAL mode with a busy timeout, so readers never block the
writer and concurrent writers wait for each other instead of failing with "database is locked".
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Session

from app.config import Settings
from app.core.metrics import DATABASE_CONNECTIONS_IN_USE


class AppSyncSession(Session):
    """The application's ORM session class. Hooks that react to the application's own writes
    (the auth change feed) attach to this class, never to SQLAlchemy's global `Session`."""


class AppSession(AsyncSession):
    """A database session (a unit of work on one connection): always this class, named `db`."""

    sync_session_class = AppSyncSession


@dataclass(frozen=True)
class Database:
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AppSession]

    async def dispose(self) -> None:
        await self.engine.dispose()


def create_database(settings: Settings) -> Database:
    url = make_url(settings.database_url)
    options: dict[str, Any] = {"pool_pre_ping": not settings.is_sqlite}
    if url.database not in (None, "", ":memory:"):
        # A request that finds no free connection in time answers 503 (app.http.database_errors).
        options["pool_size"] = settings.database_pool_size
        options["max_overflow"] = settings.database_max_overflow
        options["pool_timeout"] = settings.database_pool_timeout_seconds
    if settings.is_sqlite:
        _ensure_sqlite_directory(url.database)
        options["connect_args"] = {"timeout": settings.sqlite_busy_timeout_ms / 1000}
    engine = create_async_engine(url, **options)
    _count_connections_in_use(engine)
    if settings.is_sqlite:
        _configure_sqlite(engine, busy_timeout_ms=settings.sqlite_busy_timeout_ms)
    return Database(engine=engine, sessionmaker=async_sessionmaker(engine, class_=AppSession, expire_on_commit=False))


def _count_connections_in_use(engine: AsyncEngine) -> None:
    """The pool tells each checkout and checkin: the gauge follows them, and a scrape reads it
    without asking the pool (which, with several workers, is another process's)."""

    @event.listens_for(engine.sync_engine, "checkout")
    def _checked_out(*_: Any) -> None:
        DATABASE_CONNECTIONS_IN_USE.inc()

    @event.listens_for(engine.sync_engine, "checkin")
    def _checked_in(*_: Any) -> None:
        DATABASE_CONNECTIONS_IN_USE.dec()


def _ensure_sqlite_directory(database: str | None) -> None:
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).parent.mkdir(parents=True, exist_ok=True)


def _configure_sqlite(engine: AsyncEngine, *, busy_timeout_ms: int) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()
