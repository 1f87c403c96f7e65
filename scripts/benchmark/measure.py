"""One route of a server under test measured with wrk: throughput, or one request at a time."""

from __future__ import annotations

import time
from typing import Any

from scripts.benchmark import wrk
from scripts.benchmark.run import Run, log
from scripts.benchmark.services import Server


def throughput(
    run: Run, server: Server, path: str, label: str, headers: dict[str, str] | None = None
) -> dict[str, Any]:
    """Warm up, then `wrk -t2 -c32 -d<wrk_s>s --latency` on one route; adds the server's CPU use."""
    preflight(server, path, headers)
    url = server.url(path)
    wrk.run(url, duration_s=run.durations.warmup_s, headers=headers)
    cpu_before, started = server.cpu_seconds(), time.monotonic()
    result = wrk.run(url, duration_s=run.durations.wrk_s, headers=headers)
    cpu_percent = 100 * (server.cpu_seconds() - cpu_before) / (time.monotonic() - started)
    report(label, result)
    return result.as_dict() | {"server_cpu_percent": round(cpu_percent, 1)}


def sequential_latency(run: Run, server: Server, path: str, label: str, headers: dict[str, str]) -> dict[str, Any]:
    """One connection, one request at a time (`wrk -t1 -c1`): the time the server takes per request."""
    preflight(server, path, headers)
    url = server.url(path)
    wrk.run(url, duration_s=run.durations.warmup_s, headers=headers, threads=1, connections=1)
    result = wrk.run(url, duration_s=run.durations.latency_s, headers=headers, threads=1, connections=1)
    report(label, result)
    return result.as_dict()


def preflight(server: Server, path: str, headers: dict[str, str] | None) -> None:
    """One request first: wrk counts a 401 as fast as a 200, so the route must really answer 200."""
    client = server.client()
    try:
        client.request("GET", path, headers=headers).expect(200, what=f"GET {path} on {server.name}")
    finally:
        client.close()


def report(label: str, result: wrk.WrkResult) -> None:
    warning = f"  WARNING: {', '.join(result.problems)}" if result.problems else ""
    log(f"  {label}: {result.rps:,.0f} req/s, p50 {result.p50_ms:.2f} ms, {result.requests:,} requests{warning}")
