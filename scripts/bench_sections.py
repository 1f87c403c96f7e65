"""The benchmark's sections. Each starts the servers it needs, measures, stops them, and returns
its raw figures as a JSON-ready dict; `bench_targets` turns those figures into the targets' ratios.
"""

from __future__ import annotations

import os
import secrets
import sqlite3
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import bench_wrk
from bench_client import LoginLoad, UnexpectedResponse, bearer
from bench_seed import seed_users
from bench_servers import ADMIN_EMAIL, Server, gatehouse, gatehouse_environment, reference_app, running

USER_EMAIL = "bench-user@example.com"
LOGIN_CLIENTS = 8
SMALL_DATABASE = 1_000
LARGE_DATABASE = 1_000_000


@dataclass(frozen=True)
class Durations:
    warmup_s: int  # wrk run before each measurement, not reported
    wrk_s: int  # each throughput measurement
    logins_s: int  # the login throughput window
    latency_s: int  # each sequential-latency measurement of the database-size section
    memory_first: int  # requests before the first memory reading
    memory_total: int  # requests before the second
    memory_max_s: int  # bound on each memory phase

    @classmethod
    def full(cls) -> Durations:
        return cls(
            warmup_s=2, wrk_s=10, logins_s=15, latency_s=5, memory_first=10_000, memory_total=200_000, memory_max_s=900
        )

    @classmethod
    def quick(cls) -> Durations:
        return cls(
            warmup_s=1, wrk_s=3, logins_s=5, latency_s=2, memory_first=2_000, memory_total=20_000, memory_max_s=300
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
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def new_password() -> str:
    return secrets.token_urlsafe(18)


# --- measuring ---------------------------------------------------------------------------------


def throughput(
    run: Run, server: Server, path: str, label: str, headers: dict[str, str] | None = None
) -> dict[str, Any]:
    """Warm up, then `wrk -t2 -c32 -d<wrk_s>s --latency` on one route; adds the server's CPU use."""
    preflight(server, path, headers)
    url = server.url(path)
    bench_wrk.run(url, duration_s=run.durations.warmup_s, headers=headers)
    cpu_before, started = server.cpu_seconds(), time.monotonic()
    result = bench_wrk.run(url, duration_s=run.durations.wrk_s, headers=headers)
    cpu_percent = 100 * (server.cpu_seconds() - cpu_before) / (time.monotonic() - started)
    report(label, result)
    return result.as_dict() | {"server_cpu_percent": round(cpu_percent, 1)}


def sequential_latency(run: Run, server: Server, path: str, label: str, headers: dict[str, str]) -> dict[str, Any]:
    """One connection, one request at a time (`wrk -t1 -c1`): the time the server takes per request."""
    preflight(server, path, headers)
    url = server.url(path)
    bench_wrk.run(url, duration_s=run.durations.warmup_s, headers=headers, threads=1, connections=1)
    result = bench_wrk.run(url, duration_s=run.durations.latency_s, headers=headers, threads=1, connections=1)
    report(label, result)
    return result.as_dict()


def preflight(server: Server, path: str, headers: dict[str, str] | None) -> None:
    """One request first: wrk counts a 401 as fast as a 200, so the route must really answer 200."""
    client = server.client()
    try:
        client.request("GET", path, headers=headers).expect(200, what=f"GET {path} on {server.name}")
    finally:
        client.close()


def report(label: str, result: bench_wrk.WrkResult) -> None:
    warning = f"  WARNING: {', '.join(result.problems)}" if result.problems else ""
    log(f"  {label}: {result.rps:,.0f} req/s, p50 {result.p50_ms:.2f} ms, {result.requests:,} requests{warning}")


def password_verification() -> dict[str, Any]:
    """The time of one password verification with the service's own hasher and default cost, in
    this process, outside any event loop; the median of several."""
    from app.auth.passwords import PasswordHasher
    from app.config import Settings

    rounds = Settings.model_fields["password_bcrypt_rounds"].default
    hasher = PasswordHasher(rounds=rounds, threads=1)
    try:
        password = new_password()
        hashed = hasher.context.hash(password)
        samples = []
        for _ in range(7):
            started = time.perf_counter()
            verified = hasher.context.verify(password, hashed)
            samples.append(time.perf_counter() - started)
            if not verified:
                raise RuntimeError("the service's hasher did not verify its own hash")
    finally:
        hasher.close()
    return {
        "rounds": rounds,
        "scheme": hashed.split("$")[1],
        "samples_s": samples,
        "median_s": statistics.median(samples),
    }


def service_hash(password: str) -> str:
    from app.auth.passwords import PasswordHasher
    from app.config import Settings

    hasher = PasswordHasher(rounds=Settings.model_fields["password_bcrypt_rounds"].default, threads=1)
    try:
        return hasher.hash(password)
    finally:
        hasher.close()


def api_key(server: Server, token: str) -> tuple[str | None, str]:
    """An API key for the bench user, or None and why there is none."""
    client = server.client()
    try:
        answer = client.request("POST", "/api-keys", json_body={"name": "bench"}, headers=bearer(token))
    finally:
        client.close()
    if answer.status == 404:
        return None, "not available: POST /api-keys answered 404 (API keys are not in this checkout)"
    if answer.status != 201 or "key" not in answer.json():
        return None, f"error: POST /api-keys answered {answer.status} {answer.body[:200]!r}"
    return answer.json()["key"], "created"


# --- sections ----------------------------------------------------------------------------------


def gatehouse_throughput(run: Run) -> dict[str, Any]:
    """Targets 1, 2, 4 and 5: authenticated throughput and login behaviour on one fresh server."""
    workdir = run.workdir("throughput")
    env = gatehouse_environment(workdir, admin_password=new_password())
    password = new_password()
    results: dict[str, Any] = {"cores": len(os.sched_getaffinity(0))}
    with running(gatehouse(workdir, env)) as server:
        client = server.client()
        client.register(USER_EMAIL, password)
        token = client.login(USER_EMAIL, password)
        client.close()
        key, key_status = api_key(server, token)

        results["password_verification"] = verification = password_verification()
        log(f"  one password verification ({verification['scheme']}): {verification['median_s'] * 1000:.0f} ms")
        results["health"] = throughput(run, server, "/health", "GET /health")
        results["jwt_me"] = throughput(run, server, "/users/me", "JWT GET /users/me", bearer(token))
        if key is None:
            log(f"  X-API-Key GET /users/me: {key_status}")
            results["api_key_me"] = {"available": False, "reason": key_status}
        else:
            measured = throughput(run, server, "/users/me", "X-API-Key GET /users/me", {"X-API-Key": key})
            results["api_key_me"] = {"available": True, **measured}

        # Target 4: the same measurement idle, then while LOGIN_CLIENTS clients log in back to back.
        results["jwt_me_idle"] = throughput(run, server, "/users/me", "JWT GET /users/me, idle", bearer(token))
        with LoginLoad(server.port, USER_EMAIL, password, clients=LOGIN_CLIENTS) as load:
            time.sleep(1)  # every client is mid-login before measuring
            started = time.monotonic()
            during = throughput(run, server, "/users/me", "JWT GET /users/me, during logins", bearer(token))
            results["jwt_me_during_logins"] = during | {"logins": load.summary(started, time.monotonic())}

        # Target 5: login throughput alone.
        with LoginLoad(server.port, USER_EMAIL, password, clients=LOGIN_CLIENTS) as load:
            time.sleep(1)
            cpu_before, started = server.cpu_seconds(), time.monotonic()
            time.sleep(run.durations.logins_s)
            ended = time.monotonic()
            cpu_percent = 100 * (server.cpu_seconds() - cpu_before) / (ended - started)
            logins = load.summary(started, ended) | {"server_cpu_percent": round(cpu_percent, 1)}
        log(f"  logins, {LOGIN_CLIENTS} clients: {logins['logins_per_s']:.2f}/s, server CPU {cpu_percent:.0f}%")
        results["logins"] = logins
    return results


def reference(run: Run) -> dict[str, Any]:
    """Target 3's denominator: fastapi-users' documented example, measured the same way; and, for
    comparison with target 4, its authenticated latency while clients log in."""
    from importlib.metadata import version

    workdir = run.workdir("reference")
    password = new_password()
    route, label = "/authenticated-route", "reference JWT GET /authenticated-route"
    with running(reference_app(workdir)) as server:
        client = server.client()
        client.register(USER_EMAIL, password)
        headers = bearer(client.login(USER_EMAIL, password))
        client.close()
        results = {
            "fastapi_users": version("fastapi-users"),
            "health": throughput(run, server, "/health", "reference GET /health"),
            "authenticated_route": throughput(run, server, route, label, headers),
        }
        with LoginLoad(server.port, USER_EMAIL, password, clients=LOGIN_CLIENTS) as load:
            time.sleep(1)
            started = time.monotonic()
            during = throughput(run, server, route, f"{label}, during logins", headers)
            results["authenticated_route_during_logins"] = during | {"logins": load.summary(started, time.monotonic())}
        return results


def memory(run: Run) -> dict[str, Any]:
    """Target 7: the worker's resident memory after the first N authenticated requests and after M."""
    durations = run.durations
    workdir = run.workdir("memory")
    env = gatehouse_environment(workdir, admin_password=new_password())
    password = new_password()
    with running(gatehouse(workdir, env)) as server:
        client = server.client()
        client.register(USER_EMAIL, password)
        headers = bearer(client.login(USER_EMAIL, password))
        client.close()
        # With one worker, uvicorn serves from the process it was started as: check, then read it.
        processes, listening = server.processes(), server.listening_pids()
        if processes != [server.pid] or listening != [server.pid]:
            raise RuntimeError(f"expected one serving process {server.pid}; found {processes}, listening {listening}")
        preflight(server, "/users/me", headers)
        results: dict[str, Any] = {"pid": server.pid, "rss_kb_at_start": server.rss_kb()}
        done = 0
        for name, target in (("first", durations.memory_first), ("total", durations.memory_total)):
            result, reached = bench_wrk.run_until(
                server.url("/users/me"), responses=target - done, max_duration_s=durations.memory_max_s, headers=headers
            )
            done += result.requests
            report(f"JWT GET /users/me, requests {done - result.requests:,}..{done:,}", result)
            results[name] = {
                "target_requests": target,
                "requests_so_far": done,
                "reached": reached and done >= target,
                "rss_kb": server.rss_kb(),
                "peak_rss_kb": server.peak_rss_kb(),
                "wrk": result.as_dict(),
            }
            log(f"  RSS after {done:,} requests: {results[name]['rss_kb'] / 1024:.1f} MB")
    return results


def database_size(run: Run) -> dict[str, Any]:
    """Target 6: sequential latency of /users/me and the admin list with 1,000 users, then with
    1,000,000, on one database grown in place while the service is stopped."""
    workdir = run.workdir("million")
    admin_password, password = new_password(), new_password()
    env = gatehouse_environment(workdir, admin_password=admin_password)
    database = workdir / "gatehouse.db"

    with running(gatehouse(workdir, env)) as server:  # migrates, creates the admin
        client = server.client()
        client.register(USER_EMAIL, password)  # the model row for the seeder
        client.close()

    seed_hash = service_hash(new_password())
    results: dict[str, Any] = {}
    seeded = 0
    for label, size in (("1k", SMALL_DATABASE), ("1m", LARGE_DATABASE)):
        existing = _count_users(database)
        log(f"  seeding {size - existing:,} users directly into SQLite ({existing:,} there)")
        seeding = seed_users(database, first=seeded, count=size - existing, hashed_password=seed_hash)
        seeded += seeding["seeded"]
        log(f"  seeded in {seeding['seconds']:.1f} s; {seeding['total_users']:,} users")
        results[label] = {"seeding": seeding, **_latencies(run, workdir, env, admin_password, password, size)}
    return results


def _latencies(
    run: Run, workdir: Path, env: dict[str, str], admin_password: str, password: str, size: int
) -> dict[str, Any]:
    started = time.monotonic()
    with running(gatehouse(workdir, env)) as server:
        startup_s = time.monotonic() - started
        client = server.client()
        user = bearer(client.login(USER_EMAIL, password))
        admin = bearer(client.login(ADMIN_EMAIL, admin_password))
        page = client.request("GET", "/admin/users", headers=admin).expect(200, what="GET /admin/users").json()
        client.close()
        if page["total"] != size:
            raise UnexpectedResponse(f"GET /admin/users reports {page['total']} users, expected {size}")
        return {
            "users": size,
            "startup_s": startup_s,
            "users_me": sequential_latency(run, server, "/users/me", f"{size:,} users: JWT GET /users/me", user),
            "admin_users": sequential_latency(run, server, "/admin/users", f"{size:,} users: GET /admin/users", admin),
            "rss_kb": server.rss_kb(),
        }


def _count_users(database: Path) -> int:
    connection = sqlite3.connect(database)
    try:
        count: int = connection.execute("SELECT count(*) FROM users").fetchone()[0]
        return count
    finally:
        connection.close()


def scaleout(run: Run) -> dict[str, Any]:
    """Target 8: 2 workers against 1 on PostgreSQL and Redis (scripts/bench_scaleout.py)."""
    import bench_scaleout  # imports this module: loaded when the section runs

    return bench_scaleout.scaleout(run)


# In run order. A section is a function of the Run that returns its raw figures.
SECTIONS: dict[str, Callable[[Run], dict[str, Any]]] = {
    "throughput": gatehouse_throughput,
    "reference": reference,
    "memory": memory,
    "million": database_size,
    "scaleout": scaleout,
}
