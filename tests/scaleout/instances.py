"""Gatehouse as separate processes (`python -m app`), the way a deployment runs it.

Each process gets a clean environment (nothing of the developer's shell or `.env`: it runs in a
temporary directory) with only the settings the caller gives, so a test states everything the
service is told.
"""

from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.conftest import TEST_SECRET
from tests.servers import free_port

REPO = Path(__file__).resolve().parents[2]
# Generous: several processes start at once on a small, shared machine.
STARTUP_TIMEOUT_SECONDS = 120
STOP_TIMEOUT_SECONDS = 15
ADMIN_EMAIL = "admin@example.com"
ADMIN_PASSWORD = "the-first-admin-password"


def service_environment(database_url: str, **settings: str) -> dict[str, str]:
    """What every process is told: the database, a shared secret, cheap hashing, a first admin."""
    return {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": str(REPO),
        "DATABASE_URL": database_url,
        "SECRET_KEY": TEST_SECRET,
        "PASSWORD_BCRYPT_ROUNDS": "4",
        "FIRST_ADMIN_EMAIL": ADMIN_EMAIL,
        "FIRST_ADMIN_PASSWORD": ADMIN_PASSWORD,
        **settings,
    }


@dataclass
class Instance:
    url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def healthy(self) -> bool:
        try:
            return httpx.get(f"{self.url}/health", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False


class InstanceFailed(AssertionError):
    """A process exited or never answered /health; the message holds its log."""


def start_instances(count: int, *, workdir: Path, env: dict[str, str]) -> list[Instance]:
    """Start `count` processes at once (they race through start-up together), each on a port of
    its own, and wait until every one answers /health. On failure, all are stopped."""
    workdir.mkdir(parents=True, exist_ok=True)
    instances = []
    try:
        for _ in range(count):
            port = free_port()
            log_path = workdir / f"gatehouse-{port}.log"
            with log_path.open("wb") as log:
                process = subprocess.Popen(
                    [sys.executable, "-m", "app", "--host", "127.0.0.1", "--port", str(port)],
                    cwd=workdir,
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            instances.append(Instance(f"http://127.0.0.1:{port}", process, log_path))
        for instance in instances:
            _wait_healthy(instance)
    except BaseException:
        stop_instances(instances)
        raise
    return instances


def _wait_healthy(instance: Instance) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if instance.process.poll() is not None:
            raise InstanceFailed(f"{instance.url} exited with {instance.process.returncode}:\n{instance.log()}")
        if instance.healthy():
            return
        time.sleep(0.1)
    raise InstanceFailed(f"{instance.url} did not answer /health in {STARTUP_TIMEOUT_SECONDS}s:\n{instance.log()}")


def stop_instances(instances: list[Instance]) -> None:
    for instance in instances:
        if instance.process.poll() is None:
            instance.process.terminate()
    for instance in instances:
        try:
            instance.process.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            instance.process.kill()
            instance.process.wait(timeout=STOP_TIMEOUT_SECONDS)
