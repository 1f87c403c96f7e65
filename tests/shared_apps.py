"""Apps that stay up from one test to the next.

Building and starting an app is cheap, but its first requests are not: FastAPI builds each route's
dependency plan and SQLAlchemy compiles each statement on first use, per app. Most tests run with
the same settings, so each test process keeps one running app per distinct `settings_overrides`
and hands it from test to test, after making it as good as new: every row the test wrote deleted
(the migrated schema stays); the auth cache, its place in the change feed and the per-process
rate-limit counts forgotten; the dependency overrides removed; and mail sent to the next test's
own capturing backend.

A test gets an app of its own instead when it is marked `own_app` (it checks start-up, or leaves
the app changed in a way the reset does not undo), when it builds its apps itself (it does not use
the `app` fixture, so no reset would follow it), when it replaces the mail backend, when its
settings create a first admin at start-up, or when it starts a second app on its database
(`other_worker`).
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from contextlib import AsyncExitStack, ExitStack
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from sqlalchemy import text

from app.config import Settings
from app.db.base import Base
from app.mail.backends import MailBackend
from app.main import create_app
from tests.backends import Databases

# Kept through a reset: the counts the database's own triggers keep in step with the rows.
KEPT_TABLES = frozenset({"user_counts"})
# Fixtures that need an app of the test's own.
OWN_APP_FIXTURES = frozenset({"other_worker"})
# How long a reset waits for requests a test left running.
REQUESTS_DRAIN_SECONDS = 30
# The most apps one test process keeps running at once (each holds a database and a thread pool).
MAX_RUNNING = 4


@dataclass
class ForwardingMail:
    """The shared app's mail backend: sends to the current test's backend."""

    target: MailBackend | None = None

    async def send(self, message: EmailMessage) -> None:
        if self.target is None:
            raise RuntimeError("mail sent between tests")
        await self.target.send(message)


class InFlight:
    """Counts the requests the app is still answering, so that a reset waits for the last one (a
    test may end while requests it started are still running)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.count = 0
        self.idle = asyncio.Event()
        self.idle.set()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await self.app(scope, receive, send)
            return
        self.count += 1
        self.idle.clear()
        try:
            await self.app(scope, receive, send)
        finally:
            self.count -= 1
            if self.count == 0:
                self.idle.set()


@dataclass
class SharedApp:
    database_url: str
    mail: ForwardingMail = field(default_factory=ForwardingMail)
    app: FastAPI | None = None
    retired: bool = False  # stopped with requests still running: its database is not reused
    _in_flight: InFlight | None = None
    _stack: AsyncExitStack = field(default_factory=AsyncExitStack)

    async def running(self, settings: Settings) -> FastAPI:
        if self.app is None:
            application = create_app(settings, mail_backend=self.mail)
            self._in_flight = InFlight(application.middleware_stack or application.build_middleware_stack())
            application.middleware_stack = self._in_flight  # type: ignore[assignment]
            await self._stack.enter_async_context(LifespanManager(application, startup_timeout=60, shutdown_timeout=60))
            self.app = application
        return self.app

    async def reset(self) -> bool:
        """Back to the state of a freshly started app on a freshly migrated database; False when
        requests of the test are still running after REQUESTS_DRAIN_SECONDS (then the app is
        stopped instead, and the next test starts another)."""
        self.mail.target = None
        if self.app is None or self._in_flight is None:
            return True
        try:
            await asyncio.wait_for(self._in_flight.idle.wait(), REQUESTS_DRAIN_SECONDS)
        except TimeoutError:
            await self.stop()
            self.retired = True
            return False
        self.app.dependency_overrides.clear()
        services = self.app.state.services
        async with services.database.sessionmaker() as session:
            for table in reversed(Base.metadata.sorted_tables):
                if table.name not in KEPT_TABLES:
                    await session.execute(table.delete())
            await session.commit()
            left = await session.scalar(text("SELECT coalesce(sum(count), 0) FROM user_counts"))
        if left:  # a test wrote the running totals themselves: start the next on a new database
            await self.stop()
            self.retired = True
            return False
        await services.auth.forget_everything()  # the change feed, emptied too, may count from 1 again
        if not services.rate_limits.uses_server:  # a Redis is flushed before every test
            await asyncio.to_thread(services.rate_limits.reset)
        return True

    async def stop(self) -> None:
        await self._stack.aclose()
        self.app = None


class SharedApps:
    """This test process's running apps, by settings, the least recently used stopped first."""

    def __init__(self, databases: Databases, directory: Path) -> None:
        self._databases = databases
        self._directory = directory
        self._apps: OrderedDict[str, tuple[SharedApp, ExitStack]] = OrderedDict()

    async def for_overrides(self, overrides: dict[str, object]) -> SharedApp:
        key = repr(sorted(overrides.items()))
        if key in self._apps and self._apps[key][0].retired:
            _, database = self._apps.pop(key)
            database.close()
        if key in self._apps:
            self._apps.move_to_end(key)
            return self._apps[key][0]
        while len(self._apps) >= MAX_RUNNING:
            _, (oldest, database) = self._apps.popitem(last=False)
            await oldest.stop()
            database.close()
        database = ExitStack()
        url = database.enter_context(
            self._databases.fresh(self._directory, name=f"shared-{len(self._apps)}-{id(database)}.db")
        )
        shared = SharedApp(database_url=url)
        self._apps[key] = (shared, database)
        return shared

    async def close(self) -> None:
        while self._apps:
            _, (shared, database) = self._apps.popitem()
            await shared.stop()
            database.close()


def shares_an_app(request: pytest.FixtureRequest, overrides: dict[str, object]) -> bool:
    """Whether this test may run on a shared app (see the module's docstring)."""
    if request.node.get_closest_marker("own_app") is not None:
        return False
    if "app" not in request.fixturenames:  # a test that builds its apps itself: a database of its own
        return False
    if OWN_APP_FIXTURES.intersection(request.fixturenames):
        return False
    if any(name.startswith("first_admin") for name in overrides):
        return False
    return _default_fixture(request, "mail_backend")


def _default_fixture(request: pytest.FixtureRequest, name: str) -> bool:
    """Whether `name` resolves to the definition in tests/conftest.py (not a folder's override)."""
    definitions: Any = request._fixturemanager.getfixturedefs(name, request.node)
    return bool(definitions) and definitions[-1].func.__module__ == "tests.conftest"
