"""The servers under test: Gatehouse and fastapi-users' documented example, started alike.

Each runs in a working directory of its own (so ./data is fresh), with nothing of the caller's
shell in its environment, in a process group that is always stopped (scripts.servers.service).
`postgres_and_redis` starts the throwaway PostgreSQL and Redis that the PostgreSQL sections put
behind Gatehouse.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from scripts.benchmark import procfs
from scripts.benchmark.accounts import ADMIN_EMAIL, USER_EMAIL
from scripts.benchmark.client import Client
from scripts.servers import gatehouse as gatehouse_launcher
from scripts.servers.databases import create_database
from scripts.servers.gatehouse import REPO
from scripts.servers.ports import free_port
from scripts.servers.postgres_cluster import PostgresCluster
from scripts.servers.redis_server import RedisServer
from scripts.servers.service import ServiceProcess

# The same uvicorn options for every server measured, so comparisons are like for like.
UVICORN_OPTIONS = ["--loop", "uvloop", "--http", "httptools", "--log-level", "warning", "--no-access-log"]


class Server:
    """A server under test: its process, a client for it, and what the kernel says about it."""

    def __init__(self, service: ServiceProcess) -> None:
        self.service = service

    @property
    def name(self) -> str:
        return self.service.name

    @property
    def port(self) -> int:
        return self.service.port

    @property
    def pid(self) -> int:
        return self.service.pid

    def url(self, path: str) -> str:
        return f"{self.service.url}{path}"

    def client(self) -> Client:
        return Client(self.port)

    def processes(self) -> list[int]:
        """The server's process and all its descendants (uvicorn's workers, with several)."""
        return procfs.descendants(self.pid)

    def listening_pids(self) -> list[int]:
        """The server's processes that hold the listening socket of its port."""
        return procfs.listening(self.processes(), self.port)

    def rss_kb(self) -> int:
        return procfs.status_kb(self.pid, "VmRSS")

    def peak_rss_kb(self) -> int:
        return procfs.status_kb(self.pid, "VmHWM")

    def cpu_seconds(self) -> float:
        """User and system CPU time of the server's processes, so far."""
        return procfs.cpu_seconds(self.processes())


def base_environment() -> dict[str, str]:
    """Only what a process needs to run: nothing from the caller's shell (a DATABASE_URL or
    REDIS_URL exported there) leaks into a server under test."""
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR")
    return {name: os.environ[name] for name in keep if name in os.environ}


def gatehouse_environment(workdir: Path, *, admin_password: str) -> dict[str, str]:
    return base_environment() | {
        "SECRET_KEY": secrets.token_urlsafe(48),
        "DATABASE_URL": f"sqlite+aiosqlite:///{workdir / 'gatehouse.db'}",
        "REDIS_URL": "",
        "FIRST_ADMIN_EMAIL": ADMIN_EMAIL,
        "FIRST_ADMIN_PASSWORD": admin_password,
        # The same token lifetime as the reference app, and long enough for the longest section.
        "ACCESS_TOKEN_TTL_SECONDS": "3600",
        # Generous limits, so the login load measures hashing, not throttling.
        "LOGIN_RATE_LIMIT": "1000000/minute",
        "REGISTER_RATE_LIMIT": "1000000/minute",
        "RECOVERY_RATE_LIMIT": "1000000/minute",
        # The highest lockout threshold the service accepts (LOGIN_MAX_FAILURES is at most 100).
        "LOGIN_MAX_FAILURES": "100",
    }


def gatehouse(workdir: Path, env: dict[str, str], *, workers: int = 1) -> Server:
    """Gatehouse as its README runs it (`python -m app`), on a working directory of its own."""
    options = ["--workers", str(workers), *UVICORN_OPTIONS]
    return Server(gatehouse_launcher.gatehouse(workdir, env, options=options))


def reference_app(workdir: Path) -> Server:
    """fastapi-users' documented example (scripts/benchmark/reference_app.py); its database is
    ./test.db in the working directory, as in the documentation."""
    port = free_port()
    argv = [
        sys.executable,
        "-m",
        "uvicorn",
        "scripts.benchmark.reference_app:app",
        "--app-dir",
        str(REPO),
        "--port",
        str(port),
        "--workers",
        "1",
        "--no-proxy-headers",  # as Gatehouse's `python -m app` runs
        *UVICORN_OPTIONS,
    ]
    env = base_environment() | {"REFERENCE_SECRET": secrets.token_urlsafe(48)}
    return Server(
        ServiceProcess(name="reference", argv=argv, cwd=workdir, env=env, port=port, log_path=workdir / "reference.log")
    )


@contextmanager
def running(server: Server) -> Iterator[Server]:
    try:
        server.service.start()
        yield server
    finally:
        server.service.stop()


@dataclass(frozen=True)
class Backing:
    """A throwaway PostgreSQL database and Redis server for Gatehouse to run on."""

    database_url: str
    redis_url: str
    postgres_port: int
    redis_port: int
    postgres_bindir: Path

    def environment(self) -> dict[str, str]:
        """What Gatehouse's environment needs to use them."""
        return {"DATABASE_URL": self.database_url, "REDIS_URL": self.redis_url}


@contextmanager
def postgres_and_redis(workdir: Path, *, prefix: str = "gatehouse_bench") -> Iterator[Backing]:
    """A PostgreSQL cluster with one new database and a Redis server on loopback (started with
    scripts.servers), stopped and removed when the block ends."""
    postgres = PostgresCluster.start()
    try:
        redis_server = RedisServer.start(workdir / "redis")
        try:
            database_url = asyncio.run(create_database(postgres.url, prefix=prefix))
            yield Backing(
                database_url=database_url,
                redis_url=redis_server.url,
                postgres_port=postgres.port,
                redis_port=redis_server.port,
                postgres_bindir=postgres.bindir,
            )
        finally:
            redis_server.stop()
    finally:
        postgres.stop()


def prepare_database(workdir: Path, env: dict[str, str], *, user_password: str) -> None:
    """Start the service once, so it migrates the database and creates the admin, and register
    the account whose row the seeders copy (`scripts.benchmark.seed`)."""
    with running(gatehouse(workdir, env)) as server:
        client = server.client()
        client.register(USER_EMAIL, user_password)
        client.close()
