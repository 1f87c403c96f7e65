"""Start, watch and stop the servers under test.

Each server runs in its own process group with a working directory of its own (so ./data is
fresh), logs to a file there, and is always stopped: SIGTERM to the group, SIGKILL after a grace
period.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench_client import Client

SCRIPTS = Path(__file__).resolve().parent
REPO = SCRIPTS.parent
# The same uvicorn options for every server measured, so comparisons are like for like.
UVICORN_OPTIONS = ["--loop", "uvloop", "--http", "httptools", "--log-level", "warning", "--no-access-log"]
STARTUP_TIMEOUT_S = 120
STOP_GRACE_S = 15
ADMIN_EMAIL = "bench-admin@example.com"


class ServerFailed(RuntimeError):
    """A server did not start, or died; the message ends with the tail of its log."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def base_environment() -> dict[str, str]:
    """Only what a process needs to run: nothing from the caller's shell (a DATABASE_URL or
    REDIS_URL exported there) leaks into a server under test."""
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR")
    return {name: os.environ[name] for name in keep if name in os.environ}


class Server:
    def __init__(self, name: str, argv: list[str], *, cwd: Path, env: dict[str, str], port: int) -> None:
        self.name, self.argv, self.cwd, self.env, self.port = name, argv, cwd, env, port
        self.log_path = cwd / f"{name}.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self.process is not None, "server not started"
        return self.process.pid

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def client(self) -> Client:
        return Client(self.port)

    def start(self) -> None:
        self.cwd.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                self.argv, cwd=self.cwd, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        self._wait_healthy()

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise ServerFailed(f"{self.name} exited with {self.process.returncode}\n{self.log_tail()}")
            client = Client(self.port, timeout_s=2)
            try:
                if client.request("GET", "/health").status == 200:
                    return
            except OSError:
                pass
            finally:
                client.close()
            time.sleep(0.1)
        raise ServerFailed(f"{self.name} did not answer /health within {STARTUP_TIMEOUT_S}s\n{self.log_tail()}")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=STOP_GRACE_S)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=STOP_GRACE_S)
        except ProcessLookupError:
            pass

    def log_tail(self, lines: int = 30) -> str:
        if not self.log_path.exists():
            return "(no log)"
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    # What the kernel says about the server's processes.
    def processes(self) -> list[int]:
        """The server's process and all its descendants."""
        parents: dict[int, int] = {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text()
                except OSError:
                    continue
                parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
        found, frontier = [self.pid], [self.pid]
        while frontier:
            children = [pid for pid, parent in parents.items() if parent in frontier]
            found += children
            frontier = children
        return found

    def listening_pids(self) -> list[int]:
        """The server's processes that hold the listening socket of its port."""
        inodes = set()
        for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
            fields = line.split()
            if fields[1].endswith(f":{self.port:04X}") and fields[3] == "0A":  # 0A: LISTEN
                inodes.add(f"socket:[{fields[9]}]")
        holders = []
        for pid in self.processes():
            try:
                links = {os.readlink(fd) for fd in Path(f"/proc/{pid}/fd").iterdir()}
            except OSError:
                continue
            if links & inodes:
                holders.append(pid)
        return holders

    def rss_kb(self, pid: int | None = None) -> int:
        return _status_kb(pid or self.pid, "VmRSS")

    def peak_rss_kb(self, pid: int | None = None) -> int:
        return _status_kb(pid or self.pid, "VmHWM")

    def cpu_seconds(self) -> float:
        """User and system CPU time of the server's processes, so far."""
        ticks = 0
        for pid in self.processes():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
        return ticks / os.sysconf("SC_CLK_TCK")


def _status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise ServerFailed(f"no {field} for process {pid}")


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


def gatehouse(workdir: Path, env: dict[str, str], *, port: int | None = None, workers: int = 1) -> Server:
    """Gatehouse as its README runs it (`python -m app`), on a working directory of its own."""
    port = port or free_port()
    argv = [sys.executable, "-m", "app", "--port", str(port), "--workers", str(workers), *UVICORN_OPTIONS]
    return Server("gatehouse", argv, cwd=workdir, env=env | {"PYTHONPATH": str(REPO)}, port=port)


def reference_app(workdir: Path) -> Server:
    """fastapi-users' documented example (scripts/bench_reference_app.py); its database is
    ./test.db in the working directory, as in the documentation."""
    port = free_port()
    argv = [
        sys.executable,
        "-m",
        "uvicorn",
        "bench_reference_app:app",
        "--app-dir",
        str(SCRIPTS),
        "--port",
        str(port),
        "--workers",
        "1",
        "--no-proxy-headers",  # as Gatehouse's `python -m app` runs
        *UVICORN_OPTIONS,
    ]
    env = base_environment() | {"REFERENCE_SECRET": secrets.token_urlsafe(48)}
    return Server("reference", argv, cwd=workdir, env=env, port=port)


@contextmanager
def running(server: Server) -> Iterator[Server]:
    try:
        server.start()
        yield server
    finally:
        server.stop()
