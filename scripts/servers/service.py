"""One HTTP service on loopback in a process group of its own, watched through its `/health`.

The process runs in the working directory and environment it is given (nothing else of the
caller's), writes its output to a log file, and counts as up once `GET /health` answers 200. It is
always stopped as a group, so the workers a supervisor forked stop too: SIGTERM, then SIGKILL
after a grace period.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from scripts.servers.errors import ServerFailed, log_tail
from scripts.servers.ports import LOOPBACK

STARTUP_TIMEOUT_SECONDS = 120  # generous: several processes may start at once on a small, shared machine
STOP_GRACE_SECONDS = 15
HEALTH_TIMEOUT_SECONDS = 2


@dataclass
class ServiceProcess:
    name: str
    argv: list[str]
    cwd: Path
    env: dict[str, str]
    port: int  # where the service listens, on loopback (argv must say so)
    log_path: Path  # its stdout and stderr, appended to
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    _terminating: bool = field(default=False, repr=False)

    @property
    def url(self) -> str:
        """The service's base URL, without a trailing slash."""
        return f"http://{LOOPBACK}:{self.port}"

    @property
    def pid(self) -> int:
        if self.process is None:
            raise RuntimeError(f"{self.name} was not started")
        return self.process.pid

    def launch(self) -> None:
        """Start the process without waiting for it to answer (see `wait_healthy`)."""
        self.cwd.mkdir(parents=True, exist_ok=True)
        self._terminating = False
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                self.argv,
                cwd=self.cwd,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def start(self) -> None:
        """Launch, then wait until the service answers."""
        self.launch()
        self.wait_healthy()

    def healthy(self) -> bool:
        connection = http.client.HTTPConnection(LOOPBACK, self.port, timeout=HEALTH_TIMEOUT_SECONDS)
        try:
            connection.request("GET", "/health")
            return connection.getresponse().status == 200
        except (OSError, http.client.HTTPException):
            return False
        finally:
            connection.close()

    def wait_healthy(self, timeout_s: float = STARTUP_TIMEOUT_SECONDS) -> None:
        """Return once `/health` answers 200; ServerFailed if the process exits or stays silent."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise ServerFailed(
                    f"{self.name} on {self.url} exited with {self.process.returncode}\n{self.log_tail()}"
                )
            if self.healthy():
                return
            time.sleep(0.1)
        raise ServerFailed(f"{self.name} on {self.url} did not answer /health within {timeout_s}s\n{self.log_tail()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def log_tail(self, lines: int = 30) -> str:
        return log_tail(self.log_path, lines)

    def terminate(self) -> None:
        """Ask the process group to stop (SIGTERM, once: a second one makes uvicorn skip its
        graceful shutdown), without waiting; see `stop`."""
        if self.process is not None and self.process.poll() is None and not self._terminating:
            self._terminating = True
            self._signal_group(signal.SIGTERM)

    def stop(self) -> None:
        """Stop the process group and wait for its leader: SIGTERM, then SIGKILL after a grace
        period. Stopping a stopped (or never started) service does nothing."""
        if self.process is None or self.process.poll() is not None:
            return
        self.terminate()
        try:
            self.process.wait(timeout=STOP_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            self._signal_group(signal.SIGKILL)
            self.process.wait(timeout=STOP_GRACE_SECONDS)

    def _signal_group(self, signal_number: signal.Signals) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, signal_number)


def stop_all(services: list[ServiceProcess]) -> None:
    """Stop several at once: every one is asked first, then each is waited for."""
    for service in services:
        service.terminate()
    for service in services:
        service.stop()
