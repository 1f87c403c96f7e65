"""Targets 10a and 10b: what recording audit events costs a login, and the audit listing's
latency at 1,000 events against 1,000,000.

10a: login throughput (LOGIN_CLIENTS clients logging in back to back) of Gatehouse as it runs,
against the same server with the recorder replaced by a no-op (scripts/benchmark/unaudited.py),
measured alternately, twice each, on fresh databases, so drift of a shared machine hits both alike.
10b, 10c: `GET /admin/audit-events` filtered by `target_user_id` and by `type`, one request at a
time, at 1,000 events and at 1,000,000 (a copy of the small database grown in place while the
service is stopped), measured alternately, twice each, so drift of a shared machine hits both alike.
"""

from __future__ import annotations

import shutil
import sqlite3
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from scripts.benchmark.accounts import ADMIN_EMAIL, USER_EMAIL, new_password
from scripts.benchmark.client import bearer
from scripts.benchmark.login_load import LOGIN_CLIENTS, LoginLoad
from scripts.benchmark.measure import sequential_latency
from scripts.benchmark.run import Run, log
from scripts.benchmark.seed_events import seed_events
from scripts.benchmark.services import UVICORN_OPTIONS, Server, gatehouse, gatehouse_environment, running
from scripts.servers.gatehouse import REPO
from scripts.servers.ports import LOOPBACK, free_port
from scripts.servers.service import ServiceProcess

SMALL_TRAIL = 1_000
LARGE_TRAIL = 1_000_000
ROUNDS = 2
FILTERED_BY_TYPE = "login.failed"


def unaudited(workdir: Path, env: dict[str, str]) -> Server:
    """Gatehouse with its recorder replaced by a no-op, started as `python -m app` is."""
    port = free_port()
    argv = [sys.executable, "-m", "scripts.benchmark.unaudited", "--host", LOOPBACK, "--port", str(port)]
    return Server(
        ServiceProcess(
            name="gatehouse-unaudited",
            argv=[*argv, "--workers", "1", *UVICORN_OPTIONS],
            cwd=workdir,
            env={"PYTHONPATH": str(REPO), **env},
            port=port,
            log_path=workdir / f"gatehouse-unaudited-{port}.log",
        )
    )


def audit(run: Run) -> dict[str, Any]:
    return {"logins": _login_cost(run), "listing": _listing(run)}


def _login_cost(run: Run) -> dict[str, Any]:
    rounds: dict[str, list[dict[str, Any]]] = {"audited": [], "unaudited": []}
    for number in range(ROUNDS):
        for label in ("audited", "unaudited"):
            workdir = run.workdir(f"audit-logins-{label}-{number}")
            env = gatehouse_environment(workdir, admin_password=new_password())
            server = gatehouse(workdir, env) if label == "audited" else unaudited(workdir, env)
            password = new_password()
            with running(server):
                client = server.client()
                client.register(USER_EMAIL, password)
                client.close()
                with LoginLoad(server.port, USER_EMAIL, password, clients=LOGIN_CLIENTS) as load:
                    time.sleep(1)
                    started = time.monotonic()
                    time.sleep(run.durations.logins_s)
                    summary = load.summary(started, time.monotonic())
                recorded = _count_events(workdir / "gatehouse.db", "login.succeeded")
            summary["login_events_recorded"] = recorded
            log(f"  logins, {label} (round {number + 1}): {summary['logins_per_s']:.2f}/s, {recorded} login events")
            rounds[label].append(summary)
    return {
        label: {"rounds": found, "logins_per_s": statistics.mean(item["logins_per_s"] for item in found)}
        for label, found in rounds.items()
    }


def _listing(run: Run) -> dict[str, Any]:
    workdir = run.workdir("audit-listing")
    admin_password, password = new_password(), new_password()
    env = gatehouse_environment(workdir, admin_password=admin_password)
    database = workdir / "gatehouse.db"
    with running(gatehouse(workdir, env)) as server:  # migrates, creates the admin (user.created)
        client = server.client()
        client.register(USER_EMAIL, password)
        subject = uuid.UUID(
            str(
                client.request("GET", "/users/me", headers=bearer(client.login(USER_EMAIL, password)))
                .expect(200, what="GET /users/me")
                .json()["id"]
            )
        )
        client.close()

    # Each size gets a working directory of its own (the same settings, so the same secret key).
    workdirs = {"1k": workdir, "1m": run.workdir("audit-listing-1m")}
    seedings: dict[str, dict[str, Any]] = {}
    for label, size in (("1k", SMALL_TRAIL), ("1m", LARGE_TRAIL)):
        target = workdirs[label] / "gatehouse.db"
        if label == "1m":
            shutil.copyfile(database, target)
            for suffix in ("-wal", "-shm"):
                if (source := Path(f"{database}{suffix}")).exists():
                    shutil.copyfile(source, Path(f"{target}{suffix}"))
        existing = _count_events(target)
        log(f"  seeding {size - existing:,} audit events directly into SQLite ({existing:,} there)")
        seedings[label] = seed_events(target, count=size - existing, subject=subject, seed=size)
        log(f"  seeded in {seedings[label]['seconds']:.1f} s; {seedings[label]['total_events']:,} events")

    rounds: dict[str, list[dict[str, Any]]] = {"1k": [], "1m": []}
    for _ in range(ROUNDS):
        for label in ("1k", "1m"):
            size_env = env | {"DATABASE_URL": f"sqlite+aiosqlite:///{workdirs[label] / 'gatehouse.db'}"}
            with running(gatehouse(workdirs[label], size_env)) as server:
                client = server.client()
                admin = bearer(client.login(ADMIN_EMAIL, admin_password))
                client.close()
                by_target = f"/admin/audit-events?target_user_id={subject}"
                by_type = f"/admin/audit-events?type={FILTERED_BY_TYPE}"
                rounds[label].append(
                    {
                        "by_target": sequential_latency(run, server, by_target, f"{label} events: by target", admin),
                        "by_type": sequential_latency(run, server, by_type, f"{label} events: by type", admin),
                    }
                )
    results: dict[str, Any] = {}
    for label, measured in rounds.items():
        results[label] = {"events": _count_events(workdirs[label] / "gatehouse.db"), "seeding": seedings[label]}
        for route in ("by_target", "by_type"):
            # Both rounds' figures; the row compares the mean of their p50s.
            p50 = statistics.mean(item[route]["latency_ms"]["p50"] for item in measured)
            results[label][route] = {"rounds": [item[route] for item in measured], "latency_ms": {"p50": p50}}
    return results


def _count_events(database: Path, type: str | None = None) -> int:
    connection = sqlite3.connect(database)
    try:
        if type is None:
            count: int = connection.execute("SELECT count(*) FROM audit_events").fetchone()[0]
        else:
            count = connection.execute("SELECT count(*) FROM audit_events WHERE type = ?", (type,)).fetchone()[0]
        return count
    finally:
        connection.close()
