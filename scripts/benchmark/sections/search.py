"""Target 11: the admin user search by part of the email (`GET /admin/users?q=...`), with 1,000
users and then with 1,000,000, on SQLite (1 worker) and on PostgreSQL (a throwaway server, 1
worker). The database grows in place between the two measurements, seeded directly (SQLite with
`executemany` while the service is stopped; PostgreSQL with an `INSERT ... SELECT` over `unnest`
of the numbers and emails, per batch of POSTGRES_BATCH), so the index is kept by the same triggers
and index updates as any write.

The seeded emails are shaped like a real directory's (`scripts.benchmark.emails`: names from
Faker's lists, separators, digits, a mix of domains). The term is the one an admin types to find a
handful of accounts: a surname that the same 10 accounts have at both sizes (COHORT_SURNAME), so
the two measurements answer the same page and only the size of the table differs. A broad term
that matches 30% of the accounts (a mail provider) is measured too (JSON only): it takes the
other plan (walking the newest accounts), and its total is bounded.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import asyncpg

from scripts.benchmark.accounts import ADMIN_EMAIL, new_password
from scripts.benchmark.client import UnexpectedResponse, bearer
from scripts.benchmark.emails import COHORT, COHORT_SURNAME, seed_email
from scripts.benchmark.hashing import service_hash
from scripts.benchmark.measure import sequential_latency
from scripts.benchmark.run import Run, log
from scripts.benchmark.seed import OLDEST_REAL_ACCOUNT, count_users, seed_users
from scripts.benchmark.services import (
    gatehouse,
    gatehouse_environment,
    postgres_and_redis,
    prepare_database,
    running,
)
from scripts.servers.databases import asyncpg_dsn

SIZES = (("1k", 1_000), ("1m", 1_000_000))
NARROW_TERM = COHORT_SURNAME  # 10 accounts at either size
NARROW_MATCHES = len(COHORT)
BROAD_TERM = "gmail.com"
PAGE_SIZE = 50
POSTGRES_BATCH = 100_000


def search(run: Run) -> dict[str, Any]:
    workdir = run.workdir("search")
    results: dict[str, Any] = {"narrow_term": NARROW_TERM, "broad_term": BROAD_TERM, "page_size": PAGE_SIZE}
    results["sqlite"] = _sqlite(run, workdir / "sqlite")
    with postgres_and_redis(workdir / "postgres", prefix="gatehouse_search") as backing:
        log(f"  PostgreSQL on port {backing.postgres_port}")
        results["postgres"] = _postgres(run, workdir / "postgres", backing.database_url) | {
            "postgres_bindir": str(backing.postgres_bindir)
        }
    return results


def _sqlite(run: Run, workdir: Path) -> dict[str, Any]:
    workdir.mkdir(parents=True)
    admin_password, password = new_password(), new_password()
    env = gatehouse_environment(workdir, admin_password=admin_password)
    database = workdir / "gatehouse.db"
    prepare_database(workdir, env, user_password=password)
    seed_hash = service_hash(new_password())
    results: dict[str, Any] = {}
    seeded = 0
    for label, size in SIZES:
        existing = count_users(database)
        log(f"  SQLite: seeding {size - existing:,} users ({existing:,} there)")
        seeding = seed_users(database, first=seeded, count=size - existing, hashed_password=seed_hash)
        seeded += seeding["seeded"]
        log(f"  seeded in {seeding['seconds']:.1f} s")
        with running(gatehouse(workdir, env)) as server:
            results[label] = {"seeding": seeding, **_measure(run, server, admin_password, size, "SQLite")}
    return results


def _postgres(run: Run, workdir: Path, database_url: str) -> dict[str, Any]:
    workdir.mkdir(parents=True, exist_ok=True)  # the Redis server's directory is in it
    admin_password, password = new_password(), new_password()
    env = gatehouse_environment(workdir, admin_password=admin_password) | {"DATABASE_URL": database_url}
    seed_hash = service_hash(new_password())
    results: dict[str, Any] = {}
    prepare_database(workdir, env, user_password=password)
    seeded = 0
    for label, size in SIZES:
        started = time.monotonic()
        count = size - 2  # the admin and the registered user are there already
        log(f"  PostgreSQL: seeding {count - seeded:,} users")
        asyncio.run(_postgres_seed(database_url, first=seeded, count=count - seeded, hashed_password=seed_hash))
        seeding = {"seeded": count - seeded, "seconds": time.monotonic() - started}
        seeded = count
        log(f"  seeded in {seeding['seconds']:.1f} s")
        with running(gatehouse(workdir, env)) as server:
            results[label] = {"seeding": seeding, **_measure(run, server, admin_password, size, "PostgreSQL")}
    return results


async def _postgres_seed(database_url: str, *, first: int, count: int, hashed_password: str) -> None:
    """Accounts `first` .. `first + count - 1`, as `scripts.benchmark.seed` writes them on SQLite:
    the same emails, one hash, older than every real account, one second apart."""
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        for start in range(first, first + count, POSTGRES_BATCH):
            numbers = list(range(start, min(start + POSTGRES_BATCH, first + count)))
            await connection.execute(
                """
                INSERT INTO users (id, email, hashed_password, is_active, is_superuser, is_verified, role,
                                   created_at, updated_at, mfa_enabled)
                SELECT gen_random_uuid(), seeded.email, $1, true, false, false, 'user',
                       $2::timestamptz - make_interval(secs => seeded.n + 1),
                       $2::timestamptz - make_interval(secs => seeded.n + 1), false
                FROM unnest($3::int[], $4::text[]) AS seeded(n, email)
                """,
                hashed_password,
                OLDEST_REAL_ACCOUNT,
                numbers,
                [seed_email(number) for number in numbers],
            )
        await connection.execute("ANALYZE users")
    finally:
        await connection.close()


def _measure(run: Run, server: Any, admin_password: str, size: int, backend: str) -> dict[str, Any]:
    client = server.client()
    admin = bearer(client.login(ADMIN_EMAIL, admin_password))
    paths = {
        name: "/admin/users?" + urlencode({"q": term, "limit": PAGE_SIZE})
        for name, term in (("narrow", NARROW_TERM), ("broad", BROAD_TERM))
    }
    narrow = client.request("GET", paths["narrow"], headers=admin).expect(200, what="GET /admin/users?q=").json()
    everyone = client.request("GET", "/admin/users?limit=1", headers=admin).expect(200, what="GET /admin/users").json()
    client.close()
    if everyone["total"] != size:
        raise UnexpectedResponse(f"{backend}: GET /admin/users reports {everyone['total']} users, expected {size}")
    if narrow["total"] != NARROW_MATCHES or len(narrow["items"]) != NARROW_MATCHES:
        raise UnexpectedResponse(f"{backend}: q={NARROW_TERM} found {narrow['total']} users, expected {NARROW_MATCHES}")
    return {
        "users": size,
        "narrow_matches": narrow["total"],
        "narrow": sequential_latency(
            run, server, paths["narrow"], f"{backend}, {size:,} users: q={NARROW_TERM}", admin
        ),
        "broad": sequential_latency(run, server, paths["broad"], f"{backend}, {size:,} users: q={BROAD_TERM}", admin),
    }
