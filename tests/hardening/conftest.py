"""Fixtures of the hardening suites: real service processes, their databases, and `attacks`, the
count of attack requests each test sent (`attacks.add(n)`), which tests/reporting.py tallies per
suite and prints at the end of the run."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.backends import Databases, RedisServer
from tests.hardening.processes import Launcher, Rows
from tests.reporting import ATTACKS_PROPERTY


class Attacks:
    """`attacks.add(n)`: n more attack requests sent by this test."""

    def __init__(self, node: pytest.Item) -> None:
        self._node = node
        self.count = 0

    def add(self, count: int = 1) -> None:
        self.count += count
        properties = self._node.user_properties
        properties[:] = [entry for entry in properties if entry[0] != ATTACKS_PROPERTY]
        properties.append((ATTACKS_PROPERTY, self.count))


@pytest.fixture
def attacks(request: pytest.FixtureRequest) -> Attacks:
    assert isinstance(request.node, pytest.Item)
    return Attacks(request.node)


# --- real service processes (test_concurrency, test_crash_safety) ----------------------------------


@pytest.fixture
def service_database(databases: Databases, tmp_path: Path) -> Iterator[str]:
    """An empty database of the run's kind (no schema: the service migrates it as it starts)."""
    with databases.fresh(tmp_path, name="service.db", empty=True) as url:
        yield url


@pytest.fixture
def launcher(tmp_path: Path, service_database: str, shared_redis: RedisServer | None) -> Iterator[Launcher]:
    """Starts, restarts and kills Gatehouse processes on `service_database`, with the run's Redis
    when there is one; stops whatever is left at the end."""
    launcher = Launcher(tmp_path / "service", service_database, shared_redis.url if shared_redis else None)
    try:
        yield launcher
    finally:
        launcher.stop_all()


@pytest.fixture
async def rows(service_database: str) -> AsyncIterator[Rows]:
    reader = Rows(service_database)
    try:
        yield reader
    finally:
        await reader.close()
