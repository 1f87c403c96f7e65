"""Target 6: latency with 1,000 users, then with 1,000,000 on the same database grown in place."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from scripts.benchmark.accounts import ADMIN_EMAIL, USER_EMAIL, new_password
from scripts.benchmark.client import UnexpectedResponse, bearer
from scripts.benchmark.hashing import service_hash
from scripts.benchmark.measure import sequential_latency
from scripts.benchmark.run import Run, log
from scripts.benchmark.seed import count_users, seed_users
from scripts.benchmark.services import gatehouse, gatehouse_environment, prepare_database, running

SMALL_DATABASE = 1_000
LARGE_DATABASE = 1_000_000


def database_size(run: Run) -> dict[str, Any]:
    """Target 6: sequential latency of /users/me and the admin list with 1,000 users, then with
    1,000,000, on one database grown in place while the service is stopped."""
    workdir = run.workdir("million")
    admin_password, password = new_password(), new_password()
    env = gatehouse_environment(workdir, admin_password=admin_password)
    database = workdir / "gatehouse.db"

    prepare_database(workdir, env, user_password=password)

    seed_hash = service_hash(new_password())
    results: dict[str, Any] = {}
    seeded = 0
    for label, size in (("1k", SMALL_DATABASE), ("1m", LARGE_DATABASE)):
        existing = count_users(database)
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
