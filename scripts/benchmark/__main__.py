"""`python -m scripts.benchmark`: run the benchmark sections, print the targets table, write every
raw figure as JSON.

Started by scripts/bench, which prepares ./.venv and wrk first. See `--help`.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scripts.benchmark import targets
from scripts.benchmark.machine import cpu_busy_percent, git, machine
from scripts.benchmark.rows import table
from scripts.benchmark.run import Durations, Run, log
from scripts.benchmark.sections import SECTIONS

# More CPU than this in use by other processes before the run makes the figures doubtful.
BUSY_PERCENT = 10


def parse_arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="scripts/bench",
        description=(
            "Measure Gatehouse (one worker on SQLite; 2 workers vs 1 on PostgreSQL + Redis) against /health "
            "and fastapi-users' documented example, and under a burst of registrations."
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

    rows = targets.rows(results)
    duration_s = time.monotonic() - started
    document: dict[str, Any] = {
        "started_at": started_at.isoformat(),
        "duration_s": round(duration_s, 1),
        "options": {"quick": arguments.quick, "sections": names, "durations": vars(durations)},
        "machine": machine() | {"cpu_busy_percent_before": busy_before, "cpu_busy_percent_after": cpu_busy_percent()},
        "git": git(),
        "targets": [row.as_dict() for row in rows],
        "sections": results,
    }
    output: Path = arguments.output
    output.mkdir(parents=True, exist_ok=True)
    path = output / f"{started_at.strftime('%Y%m%dT%H%M%SZ')}.json"
    path.write_text(json.dumps(document, indent=2) + "\n")

    print()
    mode = " (--quick: short runs, not comparable)" if arguments.quick else ""
    cores = document["machine"]["cores"]
    print(f"Gatehouse benchmark{mode}: one worker on SQLite (rows 8, 9b: PostgreSQL + Redis), {cores} cores")
    print(table(rows))
    if busy_before > BUSY_PERCENT:
        print(f"warning: other processes kept {busy_before:.0f}% of the CPUs busy just before the run")
    print()
    print(f"took {duration_s:.0f} s; raw figures in {path}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
