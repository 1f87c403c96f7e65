"""Real processes for the multi-worker tests: a throwaway Redis and Gatehouse servers."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
import redis

from tests.backends import Databases, RedisServer
from tests.conftest import TEST_SECRET

STARTUP_TIMEOUT_SECONDS = 30.0
POLL_SECONDS = 0.1
NO_REDIS = (
    "redis-server is not installed, so the limit cannot be checked across processes. Install it "
    "(Debian/Ubuntu: apt-get install redis-server; macOS: brew install redis) and run "
    "scripts/test again; .ci/run installs it in CI. The test starts its own server on loopback."
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until(ready: Callable[[], bool], *, process: subprocess.Popen[bytes], log: Path, what: str) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{what} exited with {process.returncode}:\n{log.read_text()}")
        if ready():
            return
        time.sleep(POLL_SECONDS)
    pytest.fail(f"{what} did not start within {STARTUP_TIMEOUT_SECONDS}s:\n{log.read_text()}")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


@pytest.fixture
def redis_url(tmp_path: Path, shared_redis: RedisServer | None) -> Iterator[str]:
    """The Redis of the run (TEST_REDIS_URL, emptied before each test), or a throwaway server."""
    if shared_redis is not None:
        yield shared_redis.url
        return
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip(NO_REDIS)
    port = free_port()
    log = tmp_path / "redis.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no"],
            cwd=tmp_path,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    client = redis.Redis(host="127.0.0.1", port=port, socket_connect_timeout=1, socket_timeout=1)

    def answers() -> bool:
        try:
            return bool(client.ping())
        except redis.RedisError:
            return False

    try:
        wait_until(answers, process=process, log=log, what="redis-server")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        client.close()
        stop(process)


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
    processes: list[subprocess.Popen[bytes]] = []
    env = {
        "PATH": "/usr/bin:/bin",
        "DATABASE_URL": database_url,
        "SECRET_KEY": TEST_SECRET,
        "PASSWORD_BCRYPT_ROUNDS": "4",
    }

    def start(count: int, settings: dict[str, str]) -> list[str]:
        started = []
        for _ in range(count):
            port = free_port()
            log = tmp_path / f"gatehouse-{port}.log"
            with log.open("wb") as output:
                process = subprocess.Popen(
                    [sys.executable, "-m", "app", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
                    cwd=tmp_path,
                    env={**env, **settings},
                    stdout=output,
                    stderr=subprocess.STDOUT,
                )
            processes.append(process)
            started.append((f"http://127.0.0.1:{port}", process, log))
        for url, process, log in started:
            wait_until(_healthy(url), process=process, log=log, what=f"gatehouse at {url}")
        return [url for url, _, _ in started]

    try:
        yield start
    finally:
        for process in processes:
            stop(process)


def _healthy(url: str) -> Callable[[], bool]:
    def check() -> bool:
        try:
            return httpx.get(f"{url}/health", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    return check
