"""Target 9: overload. 200 clients register at once, each with an email of its own, at the
default bcrypt cost (PASSWORD_BCRYPT_ROUNDS and PASSWORD_HASH_QUEUE_LIMIT unset), while one user
probes `GET /items`: on the embedded default (1 worker, SQLite), then on PostgreSQL + Redis with
2 workers (a throwaway PostgreSQL and Redis, started with scripts.servers).

Each worker admits PASSWORD_HASH_QUEUE_LIMIT password operations and answers the rest 503
SERVICE_BUSY with Retry-After at once; the target is no other 5xx and a probe whose p95 during
the burst stays within a few times its idle p50. The register rate limit is raised
(REGISTER_RATE_LIMIT), so the limiter does not answer 429 in place of the service. After the
burst, the admin's user count shows whether every 201 is a row.
"""

from __future__ import annotations

import importlib.util
import os
import time
from pathlib import Path
from typing import Any

from scripts.benchmark.accounts import ADMIN_EMAIL, USER_EMAIL, new_password
from scripts.benchmark.client import bearer
from scripts.benchmark.hashing import default_queue_limit, default_rounds
from scripts.benchmark.measure import preflight
from scripts.benchmark.probe import PAUSE_S, Probe, slowest, summary
from scripts.benchmark.run import Run, log
from scripts.benchmark.services import Server, gatehouse, gatehouse_environment, postgres_and_redis, running

BURST_CLIENTS = 200
REGISTER_RATE_LIMIT = "100000/hour"
PROBE_PATH = "/items"
PROBE_ITEMS = 5  # the probe user's items, so the probe lists a page of real rows
WARMUP_PROBES_S = 1  # probing before the idle measurement, not reported
MIN_BURST_PROBES = 20  # fewer probes during the burst say too little about its p95
ACCOUNTS_BEFORE_BURST = 2  # the first admin and the probe user
BACKENDS = {  # result key: (label, workers)
    "sqlite": ("SQLite, 1 worker", 1),
    "postgres": ("PostgreSQL + Redis, 2 workers", 2),
}


def overload(run: Run) -> dict[str, Any]:
    if importlib.util.find_spec("httpx") is None:  # the burst's client
        raise RuntimeError("the overload section needs httpx: .venv/bin/pip install -e '.[test]'")
    workdir = run.workdir("overload")
    results: dict[str, Any] = {
        "cores": len(os.sched_getaffinity(0)),
        "burst_clients": BURST_CLIENTS,
        "bcrypt_rounds": default_rounds(),
        "password_hash_queue_limit": default_queue_limit(),
        "register_rate_limit": REGISTER_RATE_LIMIT,
        "probe": {"path": PROBE_PATH, "pause_s": PAUSE_S, "idle_s": run.durations.probe_idle_s},
    }
    label, workers = BACKENDS["sqlite"]
    results["sqlite"] = _backend(run, workdir / "sqlite", {}, label=label, workers=workers)
    label, workers = BACKENDS["postgres"]
    with postgres_and_redis(workdir / "postgres") as backing:
        log(f"  PostgreSQL on port {backing.postgres_port}, Redis on port {backing.redis_port}")
        results["postgres"] = _backend(
            run, workdir / "postgres", backing.environment(), label=label, workers=workers
        ) | {"postgres_bindir": str(backing.postgres_bindir)}
    return results


def _backend(run: Run, workdir: Path, backing: dict[str, str], *, label: str, workers: int) -> dict[str, Any]:
    from scripts.benchmark.burst import accounts, register_burst  # imports httpx, which overload() checked

    workdir.mkdir(parents=True, exist_ok=True)
    admin_password, password = new_password(), new_password()
    # The service's defaults otherwise: PASSWORD_BCRYPT_ROUNDS and PASSWORD_HASH_QUEUE_LIMIT unset.
    env = gatehouse_environment(workdir, admin_password=admin_password) | backing
    env["REGISTER_RATE_LIMIT"] = REGISTER_RATE_LIMIT
    credentials = accounts(BURST_CLIENTS)
    with running(gatehouse(workdir, env, workers=workers)) as server:
        headers = _probe_user(server, password)
        preflight(server, PROBE_PATH, headers)
        with Probe(server.port, PROBE_PATH, headers):  # the worker's first requests, not measured
            time.sleep(WARMUP_PROBES_S)
        with Probe(server.port, PROBE_PATH, headers) as idle_probe:
            time.sleep(run.durations.probe_idle_s)
        idle = summary(idle_probe.samples())
        with Probe(server.port, PROBE_PATH, headers) as burst_probe:
            burst = register_burst(server.url(""), credentials)
        probes = burst_probe.samples(since=burst.started, until=burst.ended)
        during = summary(probes) | {"slowest": slowest(probes, origin=burst.started)}
        users = _count_users(server, admin_password)
        processes = len(server.processes())
        log_lines = server.service.log().splitlines()
    figures = burst.summary()
    answers = ", ".join(f"{count} x {status}" for status, count in figures["by_status"].items())
    log(f"  {label}: {BURST_CLIENTS} registrations in {burst.duration_s:.1f} s: {answers}")
    log(
        f"  {label}: GET {PROBE_PATH} idle p50 {_ms(idle, 'p50')}, during the burst p95 {_ms(during, 'p95')} "
        f"({during['probes']} probes)"
    )
    return {
        "workers": workers,
        "processes": processes,  # uvicorn's supervisor too, with several workers
        "burst": figures,
        "probe_idle": idle,
        "probe_during_burst": during,
        "users_after": users,
        "users_expected": ACCOUNTS_BEFORE_BURST + figures["by_status"].get("201", 0),
        "server_log_tracebacks": sum(1 for line in log_lines if line.startswith("Traceback")),
        "server_log_errors": [line for line in log_lines if "ERROR" in line][:10],
    }


def _probe_user(server: Server, password: str) -> dict[str, str]:
    """The probe's user, with a few items of its own; its authorization headers."""
    client = server.client()
    try:
        client.register(USER_EMAIL, password)
        headers = bearer(client.login(USER_EMAIL, password))
        for index in range(PROBE_ITEMS):
            client.request("POST", "/items", json_body={"title": f"probe item {index}"}, headers=headers).expect(
                201, what="POST /items"
            )
        return headers
    finally:
        client.close()


def _count_users(server: Server, admin_password: str) -> int:
    client = server.client()
    try:
        admin = bearer(client.login(ADMIN_EMAIL, admin_password))
        page = client.request("GET", "/admin/users?limit=1", headers=admin).expect(200, what="GET /admin/users")
        total: int = page.json()["total"]
        return total
    finally:
        client.close()


def _ms(figures: dict[str, Any], key: str) -> str:
    latency = figures["latency_ms"]
    return "-" if latency is None else f"{latency[key]:.1f} ms"
