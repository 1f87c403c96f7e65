"""A probe: one client sending the same authenticated GET again and again, with a short pause
between answers, from a thread of its own, and keeping each answer's start, latency and status.

Used by the overload section: once on an idle server, then while a burst of registrations runs
on the main thread. The pause keeps the probe itself from being a load, and spreads its samples
over the time measured.
"""

from __future__ import annotations

import http.client
import math
import threading
import time
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from scripts.benchmark.client import Client

PAUSE_S = 0.02  # between an answer and the next probe
TIMEOUT_S = 60  # far beyond any answer expected: a slow answer counts as slow, not as lost


@dataclass(frozen=True)
class Sample:
    started: float  # time.monotonic() when the request was sent
    seconds: float  # until its whole answer arrived
    status: int | None  # None: no answer (connection refused, reset or timed out)


def percentile(values: list[float], percent: float) -> float:
    """The nearest-rank percentile: the smallest value with at least `percent`% of all at or below it."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    return ordered[max(0, math.ceil(percent / 100 * len(ordered)) - 1)]


def summary(samples: list[Sample]) -> dict[str, Any]:
    """Counts by status and, over the answered probes, latency percentiles in milliseconds."""
    by_status: dict[str, int] = {}
    for sample in samples:
        key = "no answer" if sample.status is None else str(sample.status)
        by_status[key] = by_status.get(key, 0) + 1
    answered = [sample.seconds * 1000 for sample in samples if sample.status is not None]
    latency_ms = (
        {
            "p50": round(percentile(answered, 50), 3),
            "p95": round(percentile(answered, 95), 3),
            "max": round(max(answered), 3),
        }
        if answered
        else None
    )
    return {"probes": len(samples), "by_status": by_status, "latency_ms": latency_ms}


def slowest(samples: list[Sample], *, origin: float, count: int = 10) -> list[dict[str, float | int | None]]:
    """The `count` slowest probes: when each was sent (seconds after `origin`), its latency, its status."""
    ordered = sorted(samples, key=lambda sample: sample.seconds, reverse=True)[:count]
    return [
        {"at_s": round(sample.started - origin, 3), "ms": round(sample.seconds * 1000, 3), "status": sample.status}
        for sample in ordered
    ]


class Probe:
    """`with Probe(port, path, headers) as probe:` probes until the block ends; `samples()` then."""

    def __init__(self, port: int, path: str, headers: dict[str, str], *, pause_s: float = PAUSE_S) -> None:
        self.port, self.path, self.headers, self.pause_s = port, path, headers, pause_s
        self._samples: list[Sample] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="probe", daemon=True)

    def __enter__(self) -> Probe:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self._stop.set()
        self._thread.join(timeout=TIMEOUT_S + 10)

    def samples(self, *, since: float = -math.inf, until: float = math.inf) -> list[Sample]:
        """The probes sent from `since` to `until` (time.monotonic()), all of them by default."""
        return [sample for sample in self._samples if since <= sample.started <= until]

    def _loop(self) -> None:
        client = Client(self.port, timeout_s=TIMEOUT_S)
        try:
            while not self._stop.is_set():
                started = time.monotonic()
                status: int | None
                try:
                    status = client.request("GET", self.path, headers=self.headers).status
                except (OSError, http.client.HTTPException):
                    status = None
                    client.close()
                    client = Client(self.port, timeout_s=TIMEOUT_S)
                self._samples.append(Sample(started=started, seconds=time.monotonic() - started, status=status))
                self._stop.wait(self.pause_s)
        finally:
            client.close()
