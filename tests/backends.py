"""The database and Redis a test run uses.

By default every test gets its own SQLite file and no Redis, exactly as the service runs embedded.
Two environment variables run the same tests against real servers instead:

* TEST_DATABASE_URL=postgresql+asyncpg://user[:password]@host:port/dbname names a PostgreSQL server
  (and a database on it to connect to for maintenance) where the role may create databases. Each
  test gets a database of its own without any rows, dropped after the test.
* TEST_REDIS_URL=redis://host:port/db names a Redis database that the tests may empty: it is
  flushed before every test, so no test sees another's counters.

Either way a test's database is a copy of a template that the service's own start-up migration
brought to the head revision once per run, unless the test asks for an empty one (the tests of the
migrations, and the ones that start servers).

Under pytest-xdist every worker (PYTEST_XDIST_WORKER=gw0, gw1, ...) is a run of its own: its own
templates and databases, and its own Redis database, TEST_REDIS_URL's database number plus the
worker's number (gw1 on redis://host:port/0 uses /1), so that one worker's flush never empties
another's counters. A Redis has 16 databases unless configured otherwise.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import threading
import uuid
from collections.abc import Coroutine, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import asyncpg
import pytest
import redis
from sqlalchemy.engine import URL, make_url

T = TypeVar("T")

DATABASE_VARIABLE = "TEST_DATABASE_URL"
REDIS_VARIABLE = "TEST_REDIS_URL"
WORKER_VARIABLE = "PYTEST_XDIST_WORKER"  # set by pytest-xdist in each worker: gw0, gw1, ...
# The test databases run in a zone far from UTC, with a half-hour offset: a timestamp that the
# service reads or writes without its zone would show up as a shifted time.
DATABASE_TIMEZONE = "America/St_Johns"


def configured(variable: str) -> str | None:
    value = os.environ.get(variable, "").strip()
    return value or None


def xdist_worker() -> str | None:
    """This process's pytest-xdist worker id (gw0, gw1, ...), or None outside xdist."""
    return configured(WORKER_VARIABLE)


def redis_url_of_worker(url: str, worker: str) -> str:
    """`url` with its database number moved up by the worker's number: gw0 keeps it, gw1 adds 1."""
    offset = int(worker.removeprefix("gw"))
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    if "db" in query or parts.scheme == "unix":  # unix:///path/redis.sock?db=N
        query["db"] = str(int(query.get("db") or 0) + offset)
        return f"{parts.scheme}://{parts.netloc}{parts.path}?{urlencode(query)}"
    database = int(parts.path.strip("/") or 0)
    return urlunsplit(parts._replace(path=f"/{database + offset}"))


def give_each_worker_its_own_redis() -> None:
    """Under pytest-xdist, point TEST_REDIS_URL at this worker's own Redis database, for every
    fixture that reads it (see the module docstring). Call once per process, before any fixture
    reads the variable (pytest_configure)."""
    url, worker = configured(REDIS_VARIABLE), xdist_worker()
    if url is None or worker is None or os.environ.get("GATEHOUSE_TEST_REDIS_URL_OF_RUN"):
        return
    os.environ["GATEHOUSE_TEST_REDIS_URL_OF_RUN"] = url
    os.environ[REDIS_VARIABLE] = redis_url_of_worker(url, worker)


def _run_in_a_thread(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run `coroutine` to the end on an event loop of its own, away from the tests' loop (a sync
    fixture may be set up while that loop is current)."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="test-template") as pool:
        return pool.submit(asyncio.run, coroutine).result()


async def migrate_to_head(url: str) -> None:
    """What the service's start-up does to a database: migrate it to the head revision."""
    from app.config import Settings
    from app.db.engine import create_database
    from app.db.migrate import migrate

    database = create_database(Settings(_env_file=None, database_url=url))  # type: ignore[call-arg]
    try:
        await migrate(database)
    finally:
        await database.dispose()  # a template takes no copies while anyone is connected


class SqliteTemplate:
    """A SQLite file migrated to the head revision once, on first use; tests get copies of it.

    Copying the file takes well under a millisecond, migrating a new one tens of milliseconds.
    The service's start-up still migrates each copy, and finds nothing to do."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._path: Path | None = None
        self._lock = threading.Lock()

    def copy_to(self, path: Path) -> None:
        with self._lock:
            if self._path is None:
                self._path = self._migrated()
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(self._path, path)

    def _migrated(self) -> Path:
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / "template.db"
        _run_in_a_thread(migrate_to_head(f"sqlite+aiosqlite:///{path}"))
        # The migration closed its last connection, which checkpoints the WAL into the file and
        # removes it: the one file holds everything, and a copy of it is a whole database.
        leftovers = [p.name for p in self.directory.glob("template.db-*")]
        if leftovers:
            raise RuntimeError(f"the migrated SQLite template left {leftovers} beside it; a copy would miss them")
        return path


class PostgresServer:
    """Creates and drops the per-test databases over one maintenance connection.

    Most tests get a copy of a template that the service's own start-up migration brought to
    the head revision once per run: copying is faster than migrating every database, and the
    service's start-up still runs (and finds nothing to do). Tests of the migrations themselves,
    and the ones that start servers, ask for an empty database and see every step.

    The connection lives on an event loop in a thread of its own, so sync and async fixtures alike
    can use it without touching the loop the tests run on. While a test runs, that thread already
    copies the database of the next one."""

    def __init__(self, url: str) -> None:
        self.url: URL = make_url(url)
        if self.url.get_backend_name() != "postgresql":
            raise pytest.UsageError(f"{DATABASE_VARIABLE} must be a postgresql+asyncpg:// URL, not {url!r}")
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="test-databases", daemon=True)
        self._thread.start()
        self._one_statement_at_a_time = asyncio.Lock()
        try:
            self._admin: asyncpg.Connection = self._call(
                asyncpg.connect(
                    host=self.url.host,
                    port=self.url.port,
                    user=self.url.username,
                    password=self.url.password,
                    database=self.url.database,
                )
            )
        except BaseException:
            self._stop_loop()
            raise
        self._template = self._call(self._create("template0"))
        self._call(migrate_to_head(self._url_of(self._template)))
        self._next = self._submit(self._create(self._template))

    def _submit(self, coroutine: Coroutine[Any, Any, T]) -> Future[T]:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop)

    def _call(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return self._submit(coroutine).result()

    def _url_of(self, name: str) -> str:
        return self.url.set(database=name).render_as_string(hide_password=False)

    async def _execute(self, statement: str) -> None:
        async with self._one_statement_at_a_time:
            await self._admin.execute(statement)

    async def _create(self, template: str) -> str:
        # template0 has nothing in it, not even what someone installed into template1. FILE_COPY
        # copies the few files directly, about twice as fast as WAL_LOG for databases this small.
        name = f"test_{xdist_worker() or 'main'}_{uuid.uuid4().hex[:16]}"
        await self._execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}" STRATEGY FILE_COPY')
        await self._execute(f"ALTER DATABASE \"{name}\" SET timezone TO '{DATABASE_TIMEZONE}'")
        return name

    async def _drop(self, name: str) -> None:
        # FORCE ends the connections a test left open (a server process that was killed, say).
        await self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def create(self, *, empty: bool = False) -> str:
        """The URL of a new database: at the head revision with no rows, or `empty`, not even
        a schema."""
        if empty:
            return self._url_of(self._call(self._create("template0")))
        name = self._next.result()
        self._next = self._submit(self._create(self._template))
        return self._url_of(name)

    def drop(self, url: str) -> None:
        name = make_url(url).database
        assert name is not None
        self._call(self._drop(name))

    def close(self) -> None:
        try:
            self._call(self._drop(self._next.result()))
            self._call(self._drop(self._template))
            self._call(self._admin.close())
        finally:
            self._stop_loop()

    def _stop_loop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()


class Databases:
    """`with databases.fresh(directory) as url:` a database of one's own for a test (or a module).

    A copy of a template at the head revision with no rows (a SQLite file `directory / name`, or a
    PostgreSQL database), or with `empty=True` a database without even a schema (on SQLite, no
    file yet), for tests that must see the migrations run."""

    def __init__(self, postgres: PostgresServer | None, *, sqlite_template_directory: Path) -> None:
        self.postgres = postgres
        self.sqlite_template = SqliteTemplate(sqlite_template_directory)

    @contextmanager
    def fresh(self, directory: Path, *, name: str = "test.db", empty: bool = False) -> Iterator[str]:
        if self.postgres is None:
            if not empty:
                self.sqlite_template.copy_to(directory / name)
            yield f"sqlite+aiosqlite:///{directory / name}"
            return
        url = self.postgres.create(empty=empty)
        try:
            yield url
        finally:
            self.postgres.drop(url)


class RedisServer:
    """The Redis named by TEST_REDIS_URL, which the tests share and empty before each test."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._client = redis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=5)

    def flush(self) -> None:
        self._client.flushdb()

    def close(self) -> None:
        self._client.close()


def report_header() -> list[str]:
    database_url, redis_url = configured(DATABASE_VARIABLE), configured(REDIS_VARIABLE)
    database = (
        f"PostgreSQL at {make_url(database_url).render_as_string(hide_password=True)} "
        f"(a database per test: a copy of a migrated template, empty for the migration and server "
        f"tests; timezone {DATABASE_TIMEZONE})"
        if database_url
        else f"SQLite (a file per test: a copy of a migrated template, empty for the migration and server tests; "
        f"set {DATABASE_VARIABLE} to run on PostgreSQL)"
    )
    shared = (
        f"Redis at {make_url(redis_url).render_as_string(hide_password=True)} (flushed before each test; "
        f"under pytest-xdist, each worker on the database number plus its own number)"
        if redis_url
        else f"none: rate-limit counts in memory (set {REDIS_VARIABLE} to run with Redis)"
    )
    return [f"database: {database}", f"redis: {shared}"]
