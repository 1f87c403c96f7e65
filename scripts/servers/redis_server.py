"""A throwaway Redis server on loopback, daemonized, with no persistence; and emptying one."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import redis

from scripts.servers.errors import INSTALL_HINT, ServerFailed, ServerUnavailable, log_tail
from scripts.servers.ports import LOOPBACK, PORT_ATTEMPTS, free_port

START_TIMEOUT_SECONDS = 60
STOP_TIMEOUT_SECONDS = 30


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
        return f"redis://{LOOPBACK}:{self.port}/0"

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
            argv = [binary, "--bind", LOOPBACK, "--port", str(server.port), "--save", "", "--appendonly", "no"]
            argv += ["--daemonize", "yes", "--pidfile", str(server.pidfile), "--logfile", str(server.log)]
            argv += ["--dir", str(root)]
            subprocess.run(argv, cwd=root, stdin=subprocess.DEVNULL, capture_output=True, timeout=30, check=False)
            if server._wait_answering():
                return server
            if "already in use" not in (server.log.read_text(errors="replace") if server.log.exists() else ""):
                break
        raise ServerFailed(f"redis-server did not start:\n{log_tail(server.log)}")

    def _wait_answering(self) -> bool:
        client = redis.Redis(host=LOOPBACK, port=self.port, socket_connect_timeout=1, socket_timeout=1)
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
            pid: int | None = int(self.pidfile.read_text().strip())
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


def flush_redis(url: str) -> None:
    """Empty the database of a Redis URL (a test's clean start)."""
    client = redis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=5)
    try:
        client.flushdb()
    finally:
        client.close()
