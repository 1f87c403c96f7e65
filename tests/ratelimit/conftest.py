"""Real processes for the multi-worker tests: the run's Redis and Gatehouse servers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from scripts.servers.gatehouse import Instance, start_instances, stop_instances
from scripts.servers.redis_server import flush_redis
from tests import servers
from tests.backends import Databases
from tests.factories import TEST_SECRET

# The run's Redis server (TEST_REDIS_URL, or one started once for the run; tests/servers.py).
redis_server_url = servers.redis_server_url


@pytest.fixture
def redis_url(redis_server_url: str) -> str:
    """The run's Redis, emptied for this test."""
    flush_redis(redis_server_url)
    return redis_server_url


@pytest.fixture
def gatehouse_servers(tmp_path: Path, databases: Databases) -> Iterator[Callable[[int, dict[str, str]], list[str]]]:
    """`gatehouse_servers(2, settings)`: start Gatehouse processes (`python -m app`), their URLs.

    The processes start together and share one empty database (a SQLite file, or one on the run's
    PostgreSQL), like the workers of one deployment, so they also migrate it together. They run in
    a temporary directory, so no `.env` of the developer's is read.
    """
    with databases.fresh(tmp_path, name="shared.db", empty=True) as database_url:
        yield from _servers(tmp_path, database_url)


def _servers(tmp_path: Path, database_url: str) -> Iterator[Callable[[int, dict[str, str]], list[str]]]:
    env = {
        "PATH": "/usr/bin:/bin",
        "DATABASE_URL": database_url,
        "SECRET_KEY": TEST_SECRET,
        "PASSWORD_BCRYPT_ROUNDS": "4",
    }
    started: list[Instance] = []

    def start(count: int, settings: dict[str, str]) -> list[str]:
        instances = start_instances(count, workdir=tmp_path, env={**env, **settings})
        started.extend(instances)
        return [instance.url for instance in instances]

    try:
        yield start
    finally:
        stop_instances(started)
