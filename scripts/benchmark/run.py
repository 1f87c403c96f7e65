"""One benchmark run: how long each measurement lasts, where the sections work, the progress log."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Durations:
    warmup_s: int  # wrk run before each measurement, not reported
    wrk_s: int  # each throughput measurement
    logins_s: int  # the login throughput window
    latency_s: int  # each sequential-latency measurement of the database-size section
    memory_first: int  # requests before the first memory reading
    memory_total: int  # requests before the second
    memory_max_s: int  # bound on each memory phase
    probe_idle_s: int  # the overload section's probing of an idle server, before each burst

    @classmethod
    def full(cls) -> Durations:
        return cls(
            warmup_s=2,
            wrk_s=10,
            logins_s=15,
            latency_s=5,
            memory_first=10_000,
            memory_total=200_000,
            memory_max_s=900,
            probe_idle_s=5,
        )

    @classmethod
    def quick(cls) -> Durations:
        return cls(
            warmup_s=1,
            wrk_s=3,
            logins_s=5,
            latency_s=2,
            memory_first=2_000,
            memory_total=20_000,
            memory_max_s=300,
            probe_idle_s=2,
        )


@dataclass(frozen=True)
class Run:
    durations: Durations
    scratch: Path  # a fresh directory; each section works in a folder of its own below it

    def workdir(self, name: str) -> Path:
        path = self.scratch / name
        path.mkdir(parents=True)
        return path


def log(message: str) -> None:
    """A progress line, on stderr (stdout gets the table)."""
    print(f"[bench] {message}", file=sys.stderr, flush=True)
