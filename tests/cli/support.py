"""Run the real `gatehouse` command in a subprocess, in a directory of its own (no `.env` of the
developer's is read) and with exactly the environment a test gives."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.factories import TEST_SECRET

GATEHOUSE = Path(sys.executable).with_name("gatehouse")
COMMAND_TIMEOUT_SECONDS = 120  # a safety net on a busy machine, not a measure


def base_environment(workdir: Path) -> dict[str, str]:
    return {
        "PATH": "/usr/bin:/bin",
        "SECRET_KEY": TEST_SECRET,
        "DATABASE_URL": f"sqlite+aiosqlite:///{workdir}/gatehouse.db",
        "PASSWORD_BCRYPT_ROUNDS": "4",
    }


def gatehouse(
    *arguments: str, workdir: Path, env: dict[str, str] | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return run([str(GATEHOUSE), *arguments], workdir=workdir, env=env, stdin=stdin)


def run(
    argv: list[str], *, workdir: Path, env: dict[str, str] | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv,
        cwd=workdir,
        env={**base_environment(workdir), **(env or {})},
        input=stdin,
        stdin=None if stdin is not None else subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT_SECONDS,
        check=False,
    )
