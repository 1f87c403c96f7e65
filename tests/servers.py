"""Throwaway PostgreSQL and Redis servers on loopback, for tests and benchmarks that need real ones.

Three ways in:

* pytest fixtures `postgres_server_url` and `redis_server_url` (session-scoped): the servers named
  by `TEST_DATABASE_URL` (a `postgresql+asyncpg://` URL) and `TEST_REDIS_URL` when set, otherwise
  servers of their own, started once per test run and stopped at its end;
* `python -m tests.servers start --dir DIR` starts both as daemons and prints the shell lines
  `export TEST_DATABASE_URL=... TEST_REDIS_URL=...`; `python -m tests.servers stop --dir DIR`
  stops them (`scripts/test-servers` runs this with the project's virtualenv);
* the benchmark's scale-out section, through `PostgresCluster` and `RedisServer`.

PostgreSQL refuses to run as root, so as root the cluster runs as the `postgres` user (which
Debian's package creates), in a directory of its own under the system temp directory that this
user owns and can reach. Durability is off (fsync, synchronous_commit): the data is thrown away.
"""

from __future__ import annotations

import argparse
import json
import os
import pwd
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import pytest
import redis

SERVER_USER = "postgres"  # who runs PostgreSQL when we are root
INSTALL_HINT = (
    "Install them (Debian/Ubuntu: apt-get install postgresql redis-server) and run scripts/test again; "
    ".ci/run installs both. Or point TEST_DATABASE_URL (postgresql+asyncpg://...) and TEST_REDIS_URL "
    "(redis://...) at servers of your own."
)
START_TIMEOUT_SECONDS = 60
STOP_TIMEOUT_SECONDS = 30
PORT_ATTEMPTS = 3  # a free port can be taken by someone else before the server binds it
POSTGRES_SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    # Several service processes, each with its own pool, plus the tests' own connections.
    "max_connections": "300",
}


class ServerUnavailable(RuntimeError):
    """The server's programs are not installed here; the message says how to get them."""


class ServerFailed(RuntimeError):
    """The server did not start or stop; the message ends with its log."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _log_tail(path: Path, lines: int = 40) -> str:
    if not path.exists():
        return "(no log)"
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


# --- PostgreSQL ------------------------------------------------------------------------------


def postgres_bindir() -> Path | None:
    """Where initdb and pg_ctl are: `pg_config --bindir`, else the newest /usr/lib/postgresql/*/bin."""
    candidates: list[Path] = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        found = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False)
        if found.returncode == 0 and found.stdout.strip():
            candidates.append(Path(found.stdout.strip()))

    def version(path: Path) -> tuple[int, ...]:
        return tuple(int(part) for part in re.findall(r"\d+", path.parent.name)) or (0,)

    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=version, reverse=True)
    for candidate in candidates:
        if (candidate / "initdb").is_file() and (candidate / "pg_ctl").is_file():
            return candidate
    return None


def _as_server_user(argv: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return argv
    runuser = shutil.which("runuser")
    if runuser is None:
        raise ServerUnavailable("running as root, PostgreSQL must run as another user, and runuser is missing")
    return [runuser, "-u", SERVER_USER, "--", *argv]


def _give_to_server_user(path: Path) -> None:
    if os.geteuid() != 0:
        return
    try:
        account = pwd.getpwnam(SERVER_USER)
    except KeyError:
        raise ServerUnavailable(
            f"running as root, PostgreSQL must run as the unprivileged user {SERVER_USER!r}, which does not exist. "
            + INSTALL_HINT
        ) from None
    for directory, _, files in os.walk(path):
        os.chown(directory, account.pw_uid, account.pw_gid)
        for name in files:
            os.chown(Path(directory) / name, account.pw_uid, account.pw_gid)


@dataclass
class PostgresCluster:
    root: Path  # data/, socket/ and postgres.log; removed by stop()
    port: int
    bindir: Path

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def log(self) -> Path:
        return self.root / "postgres.log"

    @property
    def url(self) -> str:
        """The server's own `postgres` database; tests create databases of their own on it."""
        return f"postgresql+asyncpg://{SERVER_USER}@127.0.0.1:{self.port}/postgres"

    @classmethod
    def start(cls) -> PostgresCluster:
        bindir = postgres_bindir()
        if bindir is None:
            raise ServerUnavailable("PostgreSQL (initdb, pg_ctl) is not installed. " + INSTALL_HINT)
        root = Path(tempfile.mkdtemp(prefix="gatehouse-postgres-"))
        try:
            (root / "socket").mkdir()
            _give_to_server_user(root)
            cluster = cls(root=root, port=0, bindir=bindir)
            cluster._initdb()
            for _ in range(PORT_ATTEMPTS):
                cluster.port = free_port()
                if cluster._pg_ctl_start():
                    return cluster
                if "already in use" not in cluster.log.read_text(errors="replace"):
                    break
            raise ServerFailed(f"PostgreSQL did not start:\n{_log_tail(cluster.log)}")
        except BaseException:
            shutil.rmtree(root, ignore_errors=True)
            raise

    def _run(self, argv: list[str]) -> subprocess.CompletedProcess[str]:
        # stdin and stdout never reach the daemon, so `$(python -m tests.servers start)` returns.
        return subprocess.run(
            _as_server_user(argv),
            cwd=self.root,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=START_TIMEOUT_SECONDS + 30,
            check=False,
        )

    def _initdb(self) -> None:
        argv = [str(self.bindir / "initdb"), "-D", str(self.data), "-U", SERVER_USER]
        argv += ["--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync"]
        done = self._run(argv)
        if done.returncode != 0:
            raise ServerFailed(f"initdb failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
        settings = POSTGRES_SETTINGS | {"unix_socket_directories": f"'{self.root / 'socket'}'"}
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write("\n# throwaway test server (tests/servers.py)\n")
            conf.writelines(f"{name} = {value}\n" for name, value in settings.items())

    def _pg_ctl_start(self) -> bool:
        argv = [str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l", str(self.log)]
        argv += ["-o", f"-p {self.port}", "-w", "-t", str(START_TIMEOUT_SECONDS), "start"]
        return self._run(argv).returncode == 0

    def stop(self) -> None:
        """Stop the server and remove its directory. Stopping a stopped cluster does nothing."""
        if (self.data / "postmaster.pid").exists():
            argv = [str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w"]
            done = self._run([*argv, "-t", str(STOP_TIMEOUT_SECONDS), "stop"])
            if done.returncode != 0 and (self.data / "postmaster.pid").exists():
                raise ServerFailed(f"PostgreSQL did not stop:\n{done.stderr}\n{_log_tail(self.log)}")
        shutil.rmtree(self.root, ignore_errors=True)


# --- Redis -----------------------------------------------------------------------------------


def _process_gone(pid: int) -> bool:
    """True once the process has exited (a daemon nobody reaps stays a zombie: that counts)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return True
    return state in ("Z", "X")


@dataclass
class RedisServer:
    root: Path  # redis.pid, redis.log (the server writes nothing else); removed by stop()
    port: int

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def log(self) -> Path:
        return self.root / "redis.log"

    @property
    def pidfile(self) -> Path:
        return self.root / "redis.pid"

    @classmethod
    def start(cls, root: Path) -> RedisServer:
        binary = shutil.which("redis-server", path=f"{os.environ.get('PATH', '')}:/usr/sbin:/usr/bin")
        if binary is None:
            raise ServerUnavailable("redis-server is not installed. " + INSTALL_HINT)
        root.mkdir(parents=True, exist_ok=True)
        for _ in range(PORT_ATTEMPTS):
            server = cls(root=root, port=free_port())
            server.log.unlink(missing_ok=True)
            argv = [binary, "--bind", "127.0.0.1", "--port", str(server.port), "--save", "", "--appendonly", "no"]
            argv += ["--daemonize", "yes", "--pidfile", str(server.pidfile), "--logfile", str(server.log)]
            argv += ["--dir", str(root)]
            subprocess.run(argv, cwd=root, stdin=subprocess.DEVNULL, capture_output=True, timeout=30, check=False)
            if server._wait_answering():
                return server
            if "already in use" not in (server.log.read_text(errors="replace") if server.log.exists() else ""):
                break
        raise ServerFailed(f"redis-server did not start:\n{_log_tail(server.log)}")

    def _wait_answering(self) -> bool:
        client = redis.Redis(host="127.0.0.1", port=self.port, socket_connect_timeout=1, socket_timeout=1)
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        try:
            while time.monotonic() < deadline:
                try:
                    if client.ping():
                        return True
                except redis.RedisError:
                    pass
                if self.log.exists() and "already in use" in self.log.read_text(errors="replace"):
                    return False
                time.sleep(0.05)
            return False
        finally:
            client.close()

    def stop(self) -> None:
        """Stop the server and remove its directory. Stopping a stopped server does nothing."""
        try:
            pid = int(self.pidfile.read_text().strip())
        except (FileNotFoundError, ValueError):
            pid = None
        if pid is not None:
            self._terminate(pid)
        shutil.rmtree(self.root, ignore_errors=True)

    @staticmethod
    def _terminate(pid: int) -> None:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
        while not _process_gone(pid):
            if time.monotonic() > deadline:
                os.kill(pid, signal.SIGKILL)
                return
            time.sleep(0.05)


# --- helpers for tests that need a database or a clean Redis of their own ---------------------


def asyncpg_dsn(database_url: str) -> str:
    """The URL asyncpg itself takes (SQLAlchemy's `postgresql+asyncpg://` without the driver)."""
    from sqlalchemy.engine import make_url

    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


def with_database(server_url: str, name: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


async def create_database(server_url: str, *, prefix: str = "gatehouse_test") -> str:
    """A new, empty database on the server of `server_url`; its URL."""
    import asyncpg

    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    connection = await asyncpg.connect(asyncpg_dsn(server_url))
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return with_database(server_url, name)


async def drop_database(database_url: str, *, server_url: str) -> None:
    import asyncpg
    from sqlalchemy.engine import make_url

    name = make_url(database_url).database
    connection = await asyncpg.connect(asyncpg_dsn(server_url))
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


def flush_redis(url: str) -> None:
    client = redis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=5)
    try:
        client.flushdb()
    finally:
        client.close()


# --- pytest fixtures -------------------------------------------------------------------------


class _Stoppable(Protocol):
    url: str

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
    started for this run. Tests create their own databases on it (`create_database`)."""
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


# --- command line ----------------------------------------------------------------------------

STATE_FILE = "servers.json"


def start_command(directory: Path) -> int:
    directory.mkdir(parents=True, exist_ok=True)
    state_path = directory / STATE_FILE
    if state_path.exists():
        print(f"servers already started from {directory}; stop them first", file=sys.stderr)
        return 1
    postgres = PostgresCluster.start()
    try:
        redis_server = RedisServer.start(directory / "redis")
    except BaseException:
        postgres.stop()
        raise
    state = {
        "postgres": {"root": str(postgres.root), "port": postgres.port, "bindir": str(postgres.bindir)},
        "redis": {"root": str(redis_server.root), "port": redis_server.port},
    }
    state_path.write_text(json.dumps(state, indent=2) + "\n")
    print(f"export TEST_DATABASE_URL={shlex.quote(postgres.url)}")
    print(f"export TEST_REDIS_URL={shlex.quote(redis_server.url)}")
    print(f"# PostgreSQL log: {postgres.log}; Redis log: {redis_server.log}", file=sys.stderr)
    return 0


def stop_command(directory: Path) -> int:
    state_path = directory / STATE_FILE
    if not state_path.exists():
        print(f"no servers started from {directory}", file=sys.stderr)
        return 0
    state = json.loads(state_path.read_text())
    problems = []
    for server in (
        RedisServer(root=Path(state["redis"]["root"]), port=state["redis"]["port"]),
        PostgresCluster(
            root=Path(state["postgres"]["root"]),
            port=state["postgres"]["port"],
            bindir=Path(state["postgres"]["bindir"]),
        ),
    ):
        try:
            server.stop()
        except ServerFailed as error:
            problems.append(str(error))
    if problems:
        print("\n".join(problems), file=sys.stderr)
        return 1
    state_path.unlink()
    return 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.servers",
        description="Start or stop a throwaway PostgreSQL and Redis on loopback for the test suite.",
    )
    parser.add_argument("action", choices=("start", "stop"))
    parser.add_argument("--dir", type=Path, required=True, help="where the servers' state (and Redis' files) live")
    arguments = parser.parse_args(argv)
    try:
        if arguments.action == "start":
            return start_command(arguments.dir.resolve())
        return stop_command(arguments.dir.resolve())
    except (ServerUnavailable, ServerFailed) as error:
        print(f"{arguments.action}: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
