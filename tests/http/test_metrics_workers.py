"""With two workers (`python -m app --workers 2`), whichever worker answers a scrape shows the sums
over both; a worker that dies keeps its counts in the sums, and leaves the live gauges."""

from __future__ import annotations

import os
import re
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from prometheus_client.multiprocess import MultiProcessCollector

from scripts.servers.gatehouse import gatehouse
from tests.factories import TEST_SECRET
from tests.http.metrics_support import Scrape

pytestmark = pytest.mark.processes

HEALTH = {"route": "/health", "method": "GET", "status": "200"}
COUNTER_FILE = re.compile(r"counter_(\d+)\.db")


def health_count(files: list[Path]) -> float:
    """The /health 200s counted in these files (the workers' own, read without the service)."""
    total = 0.0
    for family in MultiProcessCollector.merge([str(path) for path in files]):
        for sample in family.samples:
            if sample.name == "gatehouse_http_requests_total" and sample.labels == HEALTH:
                total += sample.value
    return total


def worker_files(directory: Path, supervisor: int) -> dict[int, Path]:
    """The counter files of the workers, by pid (the supervisor's own, which counts nothing, aside:
    with PROMETHEUS_MULTIPROC_DIR set from the start, it writes there too)."""
    found = {int(match[1]): path for path in directory.iterdir() if (match := COUNTER_FILE.fullmatch(path.name))}
    return {pid: path for pid, path in found.items() if pid != supervisor}


def scrape(url: str) -> Scrape:
    # A new connection each time: either worker may take it.
    answer = httpx.get(f"{url}/metrics", headers={"Connection": "close"}, timeout=30)
    assert answer.status_code == 200, answer.text
    return Scrape(answer.text)


def hit_health(url: str, count: int) -> None:
    def one(_: int) -> int:
        return httpx.get(f"{url}/health", headers={"Connection": "close"}, timeout=30).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert set(pool.map(one, range(count))) == {200}


def test_two_workers_show_the_sums_over_both(tmp_path: Path):
    directory = tmp_path / "metrics"
    directory.mkdir()
    (directory / "counter_999999.db").write_bytes(b"left by an earlier run")  # must be cleared at start
    env = {
        "PATH": "/usr/bin:/bin",
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'gatehouse.db'}",
        "SECRET_KEY": TEST_SECRET,
        "PASSWORD_BCRYPT_ROUNDS": "4",
        "METRICS_ENABLED": "true",
        "PROMETHEUS_MULTIPROC_DIR": str(directory),
    }
    server = gatehouse(tmp_path, env, options=["--workers", "2"])
    server.start()
    try:
        deadline = time.monotonic() + 120
        while len(worker_files(directory, server.pid)) < 2 and time.monotonic() < deadline:
            hit_health(server.url, 8)
        # Both workers must have answered some, so that a sum is a sum of two.
        while time.monotonic() < deadline and not all(
            health_count([path]) for path in worker_files(directory, server.pid).values()
        ):
            hit_health(server.url, 16)
        files = worker_files(directory, server.pid)
        assert len(files) == 2, sorted(os.listdir(directory))
        assert 999999 not in files
        assert all(health_count([path]) > 0 for path in files.values())

        total = health_count(list(files.values()))
        scrapes = [scrape(server.url) for _ in range(6)]
        assert [result.value("gatehouse_http_requests_total", **HEALTH) for result in scrapes] == [total] * 6

        # A worker killed outright: uvicorn starts another; its counts stay in the sums, and
        # its live gauges leave them.
        dead = next(iter(files))
        gauge = directory / f"gauge_livesum_{dead}.db"
        assert gauge.exists()
        os.kill(dead, signal.SIGKILL)
        while time.monotonic() < deadline and len(worker_files(directory, server.pid)) < 3:
            time.sleep(0.2)
        server.wait_healthy()
        after = scrape(server.url)
        files = worker_files(directory, server.pid)
        assert dead in files and health_count([files[dead]]) > 0  # the dead worker's counts are kept
        assert after.value("gatehouse_http_requests_total", **HEALTH) == health_count(list(files.values()))
        assert not gauge.exists()
    finally:
        server.stop()
