"""A Gatehouse process of a test's own, for what the in-process ASGI client cannot show: chunked
uploads and headers as uvicorn parses them, the worker's memory, the access log.

The process runs this checkout's code on a SQLite file in the working directory it is given,
with cheap hashing and a known secret, and writes its output to a log file (`process.log()`).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx

from scripts.servers.gatehouse import REPO, gatehouse
from scripts.servers.ports import LOOPBACK, free_port
from scripts.servers.service import ServiceProcess
from tests.factories import DEFAULT_PASSWORD, TEST_SECRET

# `python -m app` (what the image runs) and plain uvicorn, which the README also documents.
PYTHON_M_APP = "python -m app"
UVICORN_APP_MAIN = "uvicorn app.main:app"


def environment(workdir: Path, **settings: str) -> dict[str, str]:
    return {
        "PATH": "/usr/bin:/bin",
        "DATABASE_URL": f"sqlite+aiosqlite:///{workdir / 'gatehouse.db'}",
        "SECRET_KEY": TEST_SECRET,
        "PASSWORD_BCRYPT_ROUNDS": "4",
        "LOGIN_RATE_LIMIT": "10000/minute",
        "REGISTER_RATE_LIMIT": "10000/minute",
        "RECOVERY_RATE_LIMIT": "10000/minute",
        **settings,
    }


@contextmanager
def running(
    workdir: Path, *, command: str = PYTHON_M_APP, options: Sequence[str] = (), **settings: str
) -> Iterator[ServiceProcess]:
    """A started Gatehouse process, stopped on leaving; `options` are more of uvicorn's."""
    env = environment(workdir, **settings)
    if command == PYTHON_M_APP:
        process = gatehouse(workdir, env, options=options)
    else:
        port = free_port()
        process = ServiceProcess(
            name="uvicorn",
            argv=[sys.executable, "-m", "uvicorn", "app.main:app", "--host", LOOPBACK, "--port", str(port), *options],
            cwd=workdir,
            env={"PYTHONPATH": str(REPO), **env},
            port=port,
            log_path=workdir / f"uvicorn-{port}.log",
        )
    process.start()
    try:
        yield process
    finally:
        process.stop()


def register_and_log_in(url: str, email: str) -> dict[str, str]:
    """A new account's login answer: `access_token`, `refresh_token`, ..."""
    registered = httpx.post(f"{url}/auth/register", json={"email": email, "password": DEFAULT_PASSWORD})
    assert registered.status_code == 201, registered.text
    login = httpx.post(f"{url}/auth/jwt/login", data={"username": email, "password": DEFAULT_PASSWORD})
    assert login.status_code == 200, login.text
    tokens: dict[str, str] = login.json()
    return tokens


def peak_memory_kib(process: ServiceProcess) -> int:
    """The process's peak resident memory so far (Linux: VmHWM in /proc)."""
    for line in Path(f"/proc/{process.pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError("no VmHWM in /proc")
