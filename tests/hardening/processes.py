"""Real Gatehouse processes for the concurrency and crash-safety suites, and direct reads of
their database.

`Launcher` starts `python -m app` (uvicorn, `--workers N`) through scripts/servers/gatehouse.py
on one database of the test run (a SQLite file, or a database on TEST_DATABASE_URL's PostgreSQL),
restarts it on the same database, or kills its whole process group with SIGKILL. `Rows` reads
that database with the service's own models, the way an operator checking it after a crash would.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sqlite3
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from app.api_keys.models import ApiKey
from app.config import Settings
from app.db.engine import create_database
from app.items.models import Item
from app.sessions.models import AuthSession, RefreshToken
from app.users.models import User, UserCount
from app.users.models import columns as user_columns
from scripts.servers.gatehouse import gatehouse
from scripts.servers.service import ServiceProcess, stop_all
from tests.backends import DATABASE_VARIABLE, configured
from tests.factories import TEST_SECRET

BCRYPT_COST = re.compile(r"^\$2[aby]?\$(\d+)\$|[$,]r=(\d+)[$,]")
ADMIN_EMAIL = "first-admin@example.com"
ADMIN_PASSWORD = "the-first-admin-password"

ON_POSTGRES = configured(DATABASE_VARIABLE) is not None
# PostgreSQL is the scale-out database: 2 workers. SQLite is the embedded default: 1 worker,
# and 2 where a test stays quick (one file, two processes writing to it).
DEFAULT_WORKERS = 2 if ON_POSTGRES else 1
WORKER_COUNTS = [2] if ON_POSTGRES else [1, 2]

# Every test logs in and registers many times from one address.
GENEROUS_LIMITS = {
    "LOGIN_RATE_LIMIT": "10000/minute",
    "REGISTER_RATE_LIMIT": "10000/minute",
    "RECOVERY_RATE_LIMIT": "10000/minute",
}


@dataclass
class Launcher:
    workdir: Path
    database_url: str
    redis_url: str | None
    started: list[ServiceProcess] = field(default_factory=list)

    def environment(self, settings: dict[str, str]) -> dict[str, str]:
        env = {
            "PATH": "/usr/bin:/bin",
            "DATABASE_URL": self.database_url,
            "SECRET_KEY": TEST_SECRET,
            "FIRST_ADMIN_EMAIL": ADMIN_EMAIL,
            "FIRST_ADMIN_PASSWORD": ADMIN_PASSWORD,
            **GENEROUS_LIMITS,
        }
        if self.redis_url:
            env["REDIS_URL"] = self.redis_url
        return {**env, **settings}

    def start(self, *, workers: int = DEFAULT_WORKERS, settings: dict[str, str] | None = None) -> ServiceProcess:
        """A service on the launcher's database, answering /health. `settings` are environment
        variables (PASSWORD_BCRYPT_ROUNDS unset is the default cost, 12)."""
        service = gatehouse(self.workdir, self.environment(settings or {}), options=["--workers", str(workers)])
        self.started.append(service)
        service.start()
        return service

    async def start_async(self, **options: Any) -> ServiceProcess:
        return await asyncio.to_thread(lambda: self.start(**options))

    @staticmethod
    def kill(service: ServiceProcess) -> None:
        """SIGKILL to the whole process group (uvicorn's supervisor and its workers): no
        shutdown, no flush, no rollback by the service itself."""
        assert service.process is not None
        os.killpg(service.pid, signal.SIGKILL)
        service.process.wait(timeout=30)

    def stop_all(self) -> None:
        stop_all(self.started)


def sqlite_path(database_url: str) -> Path | None:
    url = make_url(database_url)
    return Path(url.database) if url.get_backend_name() == "sqlite" and url.database else None


def sqlite_integrity(database_url: str) -> list[str]:
    """`PRAGMA integrity_check` of a SQLite database (["ok"] when sound), with the service down."""
    path = sqlite_path(database_url)
    assert path is not None
    connection = sqlite3.connect(path)
    try:
        return [row[0] for row in connection.execute("PRAGMA integrity_check").fetchall()]
    finally:
        connection.close()


class Rows:
    """Reads of the service's database with its own models (so ids and enums come back typed)."""

    def __init__(self, database_url: str) -> None:
        settings = Settings(_env_file=None, database_url=database_url, secret_key=TEST_SECRET)  # type: ignore[call-arg]
        self.database = create_database(settings)

    async def close(self) -> None:
        await self.database.dispose()

    async def scalar(self, statement: Any) -> Any:
        async with self.database.sessionmaker() as db:
            return await db.scalar(statement)

    async def all(self, statement: Any) -> list[Any]:
        async with self.database.sessionmaker() as db:
            return list((await db.execute(statement)).all())

    async def emails(self, emails: Sequence[str]) -> list[str]:
        """Those of `emails` that are accounts (each as often as it is stored)."""
        found: list[str] = []
        for start in range(0, len(emails), 500):
            chunk = list(emails[start : start + 500])
            found += [row[0] for row in await self.all(select(user_columns.email).where(user_columns.email.in_(chunk)))]
        return found

    async def hash_costs(self, emails: Sequence[str]) -> set[str]:
        """The bcrypt costs of these accounts' password hashes: "12" from "$2b$12$..." or from
        passlib's "$bcrypt-sha256$v=2,t=2b,r=12$..."."""
        statement = select(user_columns.hashed_password).where(user_columns.email.in_(list(emails)))
        costs = set()
        for (hashed,) in await self.all(statement):
            found = BCRYPT_COST.search(hashed)
            costs.add(next(group for group in found.groups() if group) if found else hashed[:16])
        return costs

    async def user(self, user_id: uuid.UUID) -> User | None:
        async with self.database.sessionmaker() as db:
            return await db.get(User, user_id)

    async def items(self, item_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, uuid.UUID]:
        """item id -> owner id, for those of `item_ids` that exist."""
        found: dict[uuid.UUID, uuid.UUID] = {}
        for start in range(0, len(item_ids), 500):
            chunk = list(item_ids[start : start + 500])
            found.update(dict(await self.all(select(Item.id, Item.owner_id).where(Item.id.in_(chunk)))))
        return found

    async def counts_by_role(self) -> tuple[dict[tuple[str, bool], int], dict[tuple[str, bool], int]]:
        """(the totals in user_counts, the totals counted from users), zero rows left out."""
        stored = await self.all(select(UserCount.role, UserCount.is_active, UserCount.count))
        counted = await self.all(
            select(user_columns.role, user_columns.is_active, func.count()).group_by(
                user_columns.role, user_columns.is_active
            )
        )
        return (
            {(str(role), bool(active)): int(n) for role, active, n in stored if n},
            {(str(role), bool(active)): int(n) for role, active, n in counted if n},
        )

    async def active_admins(self) -> int:
        return int(
            await self.scalar(
                select(func.count())
                .select_from(User)
                .where(user_columns.role == "admin", user_columns.is_active.is_(True))
            )
            or 0
        )

    async def superuser_mismatches(self) -> int:
        """Accounts whose is_superuser does not follow their role."""
        return int(
            await self.scalar(
                select(func.count())
                .select_from(User)
                .where(user_columns.is_superuser != (user_columns.role == "admin"))
            )
            or 0
        )

    async def orphans(self) -> dict[str, int]:
        """Rows whose parent is gone: items, API keys and sessions without their user, refresh
        tokens without their session."""
        users = User.__table__
        checks = {
            "items": (Item.__table__, Item.__table__.c.owner_id, users, users.c.id),
            "api_keys": (ApiKey.__table__, ApiKey.__table__.c.user_id, users, users.c.id),
            "auth_sessions": (AuthSession.__table__, AuthSession.__table__.c.user_id, users, users.c.id),
            "refresh_tokens": (
                RefreshToken.__table__,
                RefreshToken.__table__.c.session_id,
                AuthSession.__table__,
                AuthSession.__table__.c.id,
            ),
        }
        found = {}
        for name, (child, reference, parent, key) in checks.items():
            statement = select(func.count()).select_from(child.outerjoin(parent, reference == key)).where(key.is_(None))
            found[name] = int(await self.scalar(statement) or 0)
        return found

    async def sessions_of(self, user_id: uuid.UUID) -> list[AuthSession]:
        async with self.database.sessionmaker() as db:
            return list((await db.scalars(select(AuthSession).where(AuthSession.user_id == user_id))).all())

    async def ping(self) -> None:
        await self.scalar(text("SELECT 1"))
