"""What the figures were taken on: the machine, its load, the package versions, the git checkout."""

from __future__ import annotations

import os
import platform
import subprocess
import time
from importlib.metadata import version
from pathlib import Path
from typing import Any

from scripts.benchmark import wrk

REPO = Path(__file__).resolve().parents[2]


def machine() -> dict[str, Any]:
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    return {
        "cores": len(os.sched_getaffinity(0)),
        "cpu_count": os.cpu_count(),
        "cpu_model": model,
        "memory_kb": _meminfo("MemTotal"),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "wrk": wrk.version(),
        "packages": {
            name: version(name)
            for name in ("fastapi", "fastapi-users", "uvicorn", "uvloop", "httptools", "sqlalchemy", "aiosqlite")
        },
    }


def git() -> dict[str, Any]:
    def output(*arguments: str) -> str:
        completed = subprocess.run(["git", *arguments], cwd=REPO, capture_output=True, text=True, check=False)
        return completed.stdout.strip()

    return {
        "commit": output("rev-parse", "HEAD"),
        "branch": output("rev-parse", "--abbrev-ref", "HEAD"),
        "dirty": bool(output("status", "--porcelain")),
    }


def cpu_busy_percent(seconds: float = 1.0) -> float:
    """How busy all CPUs are over a short interval, from /proc/stat (100 = every core busy)."""

    def sample() -> tuple[int, int]:
        values = [int(value) for value in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
        idle = values[3] + values[4]  # idle, iowait
        return sum(values), idle

    total_before, idle_before = sample()
    time.sleep(seconds)
    total_after, idle_after = sample()
    total = total_after - total_before
    return round(100 * (1 - (idle_after - idle_before) / total), 1) if total else 0.0


def _meminfo(field: str) -> int | None:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    return None
