"""Run the benchmark sections, print the targets table, write every raw figure as JSON.

Started by scripts/bench, which prepares ./.venv and wrk first. See `--help`.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

import bench_scaleout
import bench_targets
import bench_wrk
from bench_sections import SECTIONS, Durations, Run, log

REPO = Path(__file__).resolve().parent.parent
# More CPU than this in use by other processes before the run makes the figures doubtful.
BUSY_PERCENT = 10


def parse_arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="scripts/bench",
        description=(
            "Measure Gatehouse (one worker on SQLite; 2 workers vs 1 on PostgreSQL + Redis) against /health "
            "and fastapi-users' documented example."
        ),
    )
    parser.add_argument("--quick", action="store_true", help="short runs: a smoke test of the benchmark itself")
    parser.add_argument("--skip-million", action="store_true", help="skip the 1,000,000-user database (target 6)")
    parser.add_argument(
        "--only",
        type=lambda text: [name.strip() for name in text.split(",") if name.strip()],
        default=None,
        metavar="SECTIONS",
        help=f"comma-separated sections to run, of: {', '.join(SECTIONS)}",
    )
    parser.add_argument("--output", type=Path, default=Path("bench-results"), help="folder for the JSON results")
    arguments = parser.parse_args(argv)
    unknown = set(arguments.only or ()) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown section(s) {', '.join(sorted(unknown))}; choose from {', '.join(SECTIONS)}")
    return arguments


def main(argv: list[str]) -> int:
    arguments = parse_arguments(argv)
    names = [
        name
        for name in SECTIONS
        if (arguments.only is None or name in arguments.only) and not (arguments.skip_million and name == "million")
    ]
    durations = Durations.quick() if arguments.quick else Durations.full()
    busy_before = cpu_busy_percent()
    if busy_before > BUSY_PERCENT:
        log(f"warning: {busy_before:.0f}% of the CPUs are busy before starting; figures will be unreliable")
    started_at, started = datetime.now(UTC), time.monotonic()
    results: dict[str, dict[str, Any]] = {}
    failed = False
    scratch = Path(tempfile.mkdtemp(prefix="gatehouse-bench-"))
    try:
        run = Run(durations=durations, scratch=scratch)
        for name in names:
            log(f"{name}:")
            section_started = time.monotonic()
            try:
                results[name] = SECTIONS[name](run)
            except Exception as error:
                failed = True
                traceback.print_exc()
                results[name] = {"error": f"{type(error).__name__}: {error}"}
            results[name]["section_seconds"] = round(time.monotonic() - section_started, 1)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    rows = bench_targets.rows(results) + bench_scaleout.rows(results)
    duration_s = time.monotonic() - started
    document = {
        "started_at": started_at.isoformat(),
        "duration_s": round(duration_s, 1),
        "options": {"quick": arguments.quick, "sections": names, "durations": vars(durations)},
        "machine": machine() | {"cpu_busy_percent_before": busy_before, "cpu_busy_percent_after": cpu_busy_percent()},
        "git": git(),
        "targets": [row.as_dict() for row in rows],
        "sections": results,
    }
    arguments.output.mkdir(parents=True, exist_ok=True)
    path = arguments.output / f"{started_at.strftime('%Y%m%dT%H%M%SZ')}.json"
    path.write_text(json.dumps(document, indent=2) + "\n")

    print()
    mode = " (--quick: short runs, not comparable)" if arguments.quick else ""
    cores = document["machine"]["cores"]
    print(f"Gatehouse benchmark{mode}: one worker on SQLite (row 8: PostgreSQL + Redis), {cores} cores")
    print(bench_targets.table(rows))
    if busy_before > BUSY_PERCENT:
        print(f"warning: other processes kept {busy_before:.0f}% of the CPUs busy just before the run")
    print()
    print(f"took {duration_s:.0f} s; raw figures in {path}")
    return 1 if failed else 0


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
        "wrk": bench_wrk.version(),
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


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
