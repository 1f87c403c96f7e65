"""Fill Gatehouse's SQLite `users` table directly, fast, for the large-database measurements.

Rows are written with `sqlite3.executemany`, in batches, while the service is stopped. Every row
shares one precomputed password hash. The table's real columns are read with PRAGMA table_info,
and values are written the way the service writes them: the id and timestamp formats are copied
from a row the service itself stored, so SQLAlchemy reads the seeded rows back unchanged.
"""

from __future__ import annotations

import re
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from scripts.benchmark.emails import seed_email

BATCH = 50_000
# Seeded accounts are older than every real one, one second apart, so the newest-first admin
# list starts with the same accounts whatever the number seeded.
OLDEST_REAL_ACCOUNT = datetime(2020, 1, 1, tzinfo=UTC)
KNOWN_COLUMNS = (
    "id",
    "email",
    "hashed_password",
    "is_active",
    "is_superuser",
    "is_verified",
    "role",
    "created_at",
    "updated_at",
)


class SeedError(RuntimeError):
    """The table does not look like something this seeder can fill safely; the message says why."""


def count_users(database: Path) -> int:
    """How many accounts the SQLite database at `database` holds."""
    connection = sqlite3.connect(database)
    try:
        count: int = connection.execute("SELECT count(*) FROM users").fetchone()[0]
        return count
    finally:
        connection.close()


def seed_users(database: Path, *, first: int, count: int, hashed_password: str) -> dict[str, Any]:
    """Add accounts numbered `first` .. `first + count - 1`. Returns what was done and how long it
    took. Needs at least one ordinary account written by the service, as the model row."""
    started = time.monotonic()
    connection = sqlite3.connect(database)
    try:
        connection.execute("PRAGMA synchronous=OFF")  # a benchmark database: speed over durability
        columns = _columns(connection)
        model = _model_row(connection)
        names, make_row = _row_plan(connection, columns, model, hashed_password)
        insert = f"INSERT INTO users ({', '.join(names)}) VALUES ({', '.join('?' for _ in names)})"  # noqa: S608
        for batch in _batches(range(first, first + count), BATCH):
            connection.executemany(insert, (make_row(number) for number in batch))
            connection.commit()
        total = connection.execute("SELECT count(*) FROM users").fetchone()[0]
    finally:
        connection.close()
    return {
        "seeded": count,
        "total_users": total,
        "seconds": time.monotonic() - started,
        "columns": names,
        "model_created_at": model["created_at"],
    }


def _columns(connection: sqlite3.Connection) -> list[dict[str, Any]]:
    rows = connection.execute("PRAGMA table_info(users)").fetchall()
    if not rows:
        raise SeedError("the database has no users table; start the service once so it migrates")
    return [
        {"name": name, "type": kind, "not_null": bool(not_null), "default": default, "pk": pk}
        for _, name, kind, not_null, default, pk in rows
    ]


def _model_row(connection: sqlite3.Connection) -> dict[str, Any]:
    connection.row_factory = sqlite3.Row
    try:
        row = connection.execute("SELECT * FROM users WHERE role = 'user' ORDER BY created_at LIMIT 1").fetchone()
    finally:
        connection.row_factory = None
    if row is None:
        raise SeedError("no ordinary account in the database to copy formats from; register one through the API")
    return dict(row)


def _row_plan(
    connection: sqlite3.Connection, columns: list[dict[str, Any]], model: dict[str, Any], hashed_password: str
) -> tuple[list[str], Callable[[int], tuple[Any, ...]]]:
    """The columns to write, and a function that builds the row of account number N."""
    missing = [name for name in KNOWN_COLUMNS if name not in {column["name"] for column in columns}]
    if missing:
        raise SeedError(f"the users table has no column {', '.join(missing)}; the seeder needs updating")
    make_id = _id_factory(model["id"])
    timestamp = _timestamp_formatter(model["created_at"])
    unique = _unique_columns(connection)
    fixed: dict[str, Any] = {"is_active": 1, "is_superuser": 0, "is_verified": 0, "role": "user"}
    extra: dict[str, Any] = {}
    for column in columns:
        name = column["name"]
        if name in KNOWN_COLUMNS or not column["not_null"] or column["default"] is not None:
            continue  # ours, or the database fills it (NULL or its default)
        if name in unique:
            raise SeedError(
                f"users.{name} is NOT NULL and unique without a default; the seeder cannot invent values for it"
            )
        if model[name] is None:
            raise SeedError(f"users.{name} is NOT NULL without a default and the model row has no value to copy")
        extra[name] = model[name]  # what the service wrote for an ordinary new account
    order = [column["name"] for column in columns if column["name"] in KNOWN_COLUMNS or column["name"] in extra]
    constant = fixed | extra | {"hashed_password": hashed_password}
    template = [constant.get(name) for name in order]
    positions = {name: order.index(name) for name in ("id", "email", "created_at", "updated_at")}

    def build(number: int) -> tuple[Any, ...]:
        row = template.copy()
        created = timestamp(OLDEST_REAL_ACCOUNT - timedelta(seconds=number + 1))
        row[positions["id"]] = make_id()
        row[positions["email"]] = seed_email(number)
        row[positions["created_at"]] = row[positions["updated_at"]] = created
        return tuple(row)

    return order, build


def _id_factory(sample: Any) -> Callable[[], str]:
    if isinstance(sample, str) and re.fullmatch(
        r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", sample
    ):
        return lambda: str(uuid.uuid4())
    if isinstance(sample, str) and re.fullmatch(r"[0-9a-f]{32}", sample):
        return lambda: uuid.uuid4().hex
    raise SeedError(f"unexpected format of users.id: {sample!r}")


def _timestamp_formatter(sample: Any) -> Callable[[datetime], str]:
    """Write UTC datetimes exactly as the sample was written (SQLAlchemy on SQLite stores
    'YYYY-MM-DD HH:MM:SS.ffffff', without a zone)."""
    match = re.fullmatch(r"\d{4}-\d{2}-\d{2}([ T])\d{2}:\d{2}:\d{2}(\.\d{6})?(Z|[+-]00:00)?", str(sample))
    if not isinstance(sample, str) or match is None:
        raise SeedError(f"unexpected format of users.created_at: {sample!r}")
    separator, fraction, zone = match.groups()
    pattern = f"%Y-%m-%d{separator}%H:%M:%S{'.%f' if fraction else ''}{zone or ''}"
    return lambda moment: moment.astimezone(UTC).strftime(pattern)


def _unique_columns(connection: sqlite3.Connection) -> set[str]:
    unique: set[str] = set()
    for _, index, is_unique, *_ in connection.execute("PRAGMA index_list(users)").fetchall():
        if is_unique:
            unique |= {row[2] for row in connection.execute(f"PRAGMA index_info('{index}')").fetchall()}
    return unique


def _batches(numbers: range, size: int) -> Iterator[range]:
    for start in range(numbers.start, numbers.stop, size):
        yield range(start, min(start + size, numbers.stop))
