"""The hardening suites' tally: how many attack cases each suite tried and how many it found
failing, printed at the end of the run (the figures the README's "Hardening" section quotes).

A case is one test. Tests also count the attack requests they sent through the `attacks` fixture
(`attacks.add(n)`), kept in the report's `user_properties`, so the tally is right under
pytest-xdist too, where the reports reach the controller. The summary is printed when this
conftest is loaded by the process that prints the terminal summary: always without xdist, and
under xdist when `tests/hardening` is named on the command line.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.backends import Databases, RedisServer
from tests.hardening.processes import Launcher, Rows

SUITE_PREFIX = "tests/hardening/"
ATTACKS_PROPERTY = "hardening_attacks"


@dataclass
class SuiteTally:
    cases: int = 0
    passed: int = 0
    failed: int = 0
    expected_failures: int = 0  # xfail: a known, reported bug
    skipped: int = 0
    attacks: int = 0
    failing: list[str] = field(default_factory=list)


_tallies: dict[str, SuiteTally] = defaultdict(SuiteTally)


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


def _suite_of(nodeid: str) -> str | None:
    if not nodeid.startswith(SUITE_PREFIX):
        return None
    return nodeid.removeprefix(SUITE_PREFIX).split("::", 1)[0].removesuffix(".py")


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    suite = _suite_of(report.nodeid)
    if suite is None:
        return
    tally = _tallies[suite]
    if report.when == "call" or (report.when == "setup" and not report.passed):
        tally.cases += 1
        tally.attacks += sum(value for name, value in report.user_properties if name == ATTACKS_PROPERTY)
        if hasattr(report, "wasxfail"):
            tally.expected_failures += 1
        elif report.failed:
            tally.failed += 1
            tally.failing.append(report.nodeid)
        elif report.skipped:
            tally.skipped += 1
        else:
            tally.passed += 1
    elif report.when == "teardown" and report.failed:
        tally.failed += 1
        tally.failing.append(f"{report.nodeid} (teardown)")


def summary_lines() -> list[str]:
    lines = []
    for suite in sorted(_tallies):
        tally = _tallies[suite]
        found = tally.failed + tally.expected_failures
        lines.append(
            f"{suite}: {tally.cases} cases ({tally.attacks} attack requests), {found} failures found "
            f"({tally.failed} failed, {tally.expected_failures} known and marked xfail), "
            f"{tally.passed} passed, {tally.skipped} skipped"
        )
    return lines


def pytest_terminal_summary(terminalreporter: Any) -> None:
    lines = summary_lines()
    if not lines:
        return
    terminalreporter.section("hardening: cases tried and failures found")
    for line in lines:
        terminalreporter.write_line(line)


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
