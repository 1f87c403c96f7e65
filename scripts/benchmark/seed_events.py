"""Fill Gatehouse's SQLite `audit_events` table directly, fast, for the audit listing measurements.

Rows are written with `sqlite3.executemany`, in batches, while the service is stopped, with the
table's secondary indexes dropped meanwhile and created again from their own SQL afterwards (the
same indexes, built in one sorted pass instead of a million random inserts). Ids and
times are written the way the service writes them (checked against a row the service itself
stored), spread over the last 300 days (inside the default retention, so the pruner keeps them).
Logins are the most frequent events, as in a real trail; one account, the subject, is the target
of a tenth of the events, the rest are spread over 5,000 others.
"""

from __future__ import annotations

import json
import random
import re
import sqlite3
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from app.audit.types import EventType

BATCH = 50_000
SPAN = timedelta(days=300)
SUBJECT_SHARE = 0.1
OTHER_TARGETS = 5_000
STORED_TIME = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}")
STORED_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# (type, weight): logins dominate.
WEIGHTS = [(EventType.LOGIN_SUCCEEDED, 40), (EventType.LOGIN_FAILED, 20)] + [
    (kind, 1) for kind in EventType if kind not in (EventType.LOGIN_SUCCEEDED, EventType.LOGIN_FAILED)
]
COLUMNS = (
    "id",
    "occurred_at",
    "type",
    "actor_kind",
    "actor_id",
    "target_user_id",
    "ip_address",
    "user_agent",
    "request_id",
    "details",
)


class SeedError(RuntimeError):
    """The table does not look like what this seeder writes; the message says why."""


def _check_format(connection: sqlite3.Connection) -> None:
    row = connection.execute("SELECT id, occurred_at FROM audit_events LIMIT 1").fetchone()
    if row is None:
        raise SeedError("no event written by the service to copy the formats from")
    if not STORED_ID.fullmatch(row[0]) or not STORED_TIME.fullmatch(row[1]):
        raise SeedError(f"the service stores events as {row!r}, not in the format this seeder writes")


def seed_events(database: Path, *, count: int, subject: uuid.UUID, seed: int) -> dict[str, Any]:
    """Add `count` events, older than any the service wrote."""
    started = time.monotonic()
    rng = random.Random(seed)  # noqa: S311  (reproducible test data, no secret)
    types = [kind.value for kind, _ in WEIGHTS]
    weights = [weight for _, weight in WEIGHTS]
    others = [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(OTHER_TARGETS)]
    oldest_real = datetime.now(UTC) - timedelta(minutes=5)
    step = SPAN / max(count, 1)
    connection = sqlite3.connect(database)
    try:
        connection.execute("PRAGMA synchronous=OFF")  # a benchmark database: speed over durability
        connection.execute("PRAGMA cache_size=-262144")  # 256 MiB: the primary key's random inserts
        _check_format(connection)
        indexes = connection.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'audit_events' AND sql IS NOT NULL"
        ).fetchall()
        for name, _ in indexes:
            connection.execute(f'DROP INDEX "{name}"')
        insert = f"INSERT INTO audit_events ({', '.join(COLUMNS)}) VALUES ({', '.join('?' for _ in COLUMNS)})"  # noqa: S608
        details = json.dumps({"reason": "bad_credentials"})
        for start in range(0, count, BATCH):
            rows = []
            for number in range(start, min(start + BATCH, count)):
                at = oldest_real - step * (count - number)
                target = str(subject) if rng.random() < SUBJECT_SHARE else rng.choice(others)
                rows.append(
                    (
                        str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                        at.strftime("%Y-%m-%d %H:%M:%S.%f"),
                        rng.choices(types, weights)[0],
                        "user",
                        target,
                        target,
                        f"198.51.100.{number % 250}",
                        "bench/1.0",
                        None,
                        details,
                    )
                )
            connection.executemany(insert, rows)
            connection.commit()
        for _, sql in indexes:
            connection.execute(sql)
        connection.commit()
        total = connection.execute("SELECT count(*) FROM audit_events").fetchone()[0]
    finally:
        connection.close()
    return {
        "seeded": count,
        "total_events": total,
        "seconds": time.monotonic() - started,
        "indexes_rebuilt": [name for name, _ in indexes],
    }
