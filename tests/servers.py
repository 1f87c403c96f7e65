"""The run-wide PostgreSQL and Redis servers, as pytest fixtures.

`postgres_server_url` and `redis_server_url` (session-scoped) give the servers named by
`TEST_DATABASE_URL` (a `postgresql+asyncpg://` URL) and `TEST_REDIS_URL` when set, otherwise
servers of their own, started once per test run and stopped at its end. The launchers, and the
helpers that create databases or empty Redis, are in scripts/servers/ (`scripts.servers`), which
the benchmark uses too; `scripts/test-servers` starts servers for a whole run from there.

tests/conftest.py registers both for every test.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

import pytest

from scripts.servers.errors import ServerUnavailable
from scripts.servers.postgres_cluster import PostgresCluster
from scripts.servers.redis_server import RedisServer


class _Stoppable(Protocol):
    @property
    def url(self) -> str: ...

    def stop(self) -> None: ...


class _Shared:
    """One server per test run, however many test modules import the fixtures (each import makes
    a fixture of its own in pytest's eyes): the first user starts it, the last one stops it."""

    def __init__(self, start: Callable[[], _Stoppable]) -> None:
        self._start = start
        self._server: _Stoppable | None = None
        self._users = 0

    @contextmanager
    def use(self) -> Iterator[str]:
        if self._server is None:
            self._server = self._start()
        self._users += 1
        try:
            yield self._server.url
        finally:
            self._users -= 1
            if self._users == 0:
                server, self._server = self._server, None
                server.stop()


def _start_redis_in_temp() -> RedisServer:
    return RedisServer.start(Path(tempfile.mkdtemp(prefix="gatehouse-redis-")))


_POSTGRES = _Shared(PostgresCluster.start)
_REDIS = _Shared(_start_redis_in_temp)


@contextmanager
def _server_or_skip(shared: _Shared, what: str) -> Iterator[str]:
    try:
        with shared.use() as url:
            yield url
    except ServerUnavailable as error:
        pytest.skip(f"needs a real {what}: {error}")


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    """A PostgreSQL server's URL (its `postgres` database): TEST_DATABASE_URL's server, or one
    started for this run. Tests create their own databases on it
    (`scripts.servers.databases.create_database`)."""
    configured = os.environ.get("TEST_DATABASE_URL", "")
    if configured.startswith("postgresql"):
        yield configured
        return
    with _server_or_skip(_POSTGRES, "PostgreSQL server") as url:
        yield url


@pytest.fixture(scope="session")
def redis_server_url() -> Iterator[str]:
    """A Redis server's URL: TEST_REDIS_URL, or one started for this run."""
    configured = os.environ.get("TEST_REDIS_URL", "")
    if configured:
        yield configured
        return
    with _server_or_skip(_REDIS, "Redis server") as url:
        yield url
