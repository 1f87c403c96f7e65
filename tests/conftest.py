"""Shared fixtures: a fresh app and database per test, an async httpx client, and factories."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from app.config import Settings
from app.core.roles import Role
from app.mail.backends import MailBackend
from app.main import create_app
from scripts.servers.gatehouse import Instance, start_instances, stop_instances
from scripts.servers.redis_server import flush_redis
from tests import reporting, servers
from tests.backends import (
    DATABASE_VARIABLE,
    REDIS_VARIABLE,
    Databases,
    PostgresServer,
    RedisServer,
    configured,
    give_each_worker_its_own_redis,
    report_header,
)
from tests.factories import TEST_SECRET, Account, Accounts, CapturingMail, Clock, Keys, Owners
from tests.mail.smtp import SmtpServer
from tests.shared_apps import SharedApp, SharedApps, shares_an_app
from tests.support import CryptContextSpy

logger = logging.getLogger(__name__)


def pytest_report_header() -> list[str]:
    return report_header()


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    reporting.record(report)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    reporting.write_summary(terminalreporter)


def pytest_configure(config: pytest.Config) -> None:
    give_each_worker_its_own_redis()  # under pytest-xdist (tests/backends.py)


# Fixtures that start servers or service processes (PostgreSQL and Redis only when TEST_DATABASE_URL
# and TEST_REDIS_URL are not set); a test using one counts as marked `processes`.
PROCESS_FIXTURES = frozenset({"postgres_server_url", "redis_server_url", "gatehouse_servers", "live_gatehouse"})


@pytest.hookimpl(tryfirst=True)  # before `-m` selects by marker
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests that start processes or servers (marked `processes`, or using one of PROCESS_FIXTURES)
    run one after another in one pytest-xdist group, so they never compete with each other for the
    cores while their processes start."""
    for item in items:
        uses_processes = PROCESS_FIXTURES.intersection(getattr(item, "fixturenames", ()))
        if uses_processes and item.get_closest_marker("processes") is None:
            item.add_marker(pytest.mark.processes)
        if item.get_closest_marker("processes") is not None:
            item.add_marker(pytest.mark.xdist_group("processes"))


@pytest.fixture(scope="session")
def databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Databases]:
    """Where test databases come from: copies of a migrated SQLite file or, with TEST_DATABASE_URL,
    of a migrated PostgreSQL database (tests/backends.py)."""
    url = configured(DATABASE_VARIABLE)
    postgres = PostgresServer(url) if url else None
    try:
        yield Databases(postgres, sqlite_template_directory=tmp_path_factory.mktemp("sqlite-template"))
    finally:
        if postgres is not None:
            postgres.close()


@pytest.fixture(scope="session")
def shared_redis() -> Iterator[RedisServer | None]:
    """The Redis named by TEST_REDIS_URL, or None: the service then runs without Redis."""
    url = configured(REDIS_VARIABLE)
    server = RedisServer(url) if url else None
    try:
        yield server
    finally:
        if server is not None:
            server.close()


@pytest.fixture(autouse=True)
def _empty_redis(shared_redis: RedisServer | None) -> None:
    """Every test starts with no rate-limit counts or auth signals left by another."""
    if shared_redis is not None:
        shared_redis.flush()


@pytest.fixture(scope="session")
async def shared_apps(databases: Databases, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[SharedApps]:
    """The running apps this test process hands from test to test (tests/shared_apps.py)."""
    apps = SharedApps(databases, tmp_path_factory.mktemp("shared-apps"))
    try:
        yield apps
    finally:
        await apps.close()


@pytest.fixture
async def shared_app(
    request: pytest.FixtureRequest, shared_apps: SharedApps, settings_overrides: dict[str, object]
) -> SharedApp | None:
    """The running app this test shares with others of the same settings, or None when it needs
    one of its own (tests/shared_apps.py says when)."""
    if not shares_an_app(request, settings_overrides):
        return None
    return await shared_apps.for_overrides(settings_overrides)


@pytest.fixture
def database_url(databases: Databases, tmp_path: Path, shared_app: SharedApp | None) -> Iterator[str]:
    """A database at the head revision, without any rows: the shared app's, emptied after each
    test, or one of this test's own (see tests/backends.py)."""
    if shared_app is not None:
        yield shared_app.database_url
        return
    with databases.fresh(tmp_path) as url:
        yield url


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    """Override in a test module (or with @pytest.mark.parametrize indirect) to change settings."""
    return {}


@pytest.fixture
def settings(database_url: str, shared_redis: RedisServer | None, settings_overrides: dict[str, object]) -> Settings:
    values: dict[str, object] = {
        "database_url": database_url,
        "secret_key": TEST_SECRET,
        "password_bcrypt_rounds": 4,
        "password_hash_threads": 2,
        # Fixtures log in many times from one address; tests of the limits set their own.
        "login_rate_limit": "10000/minute",
        "register_rate_limit": "10000/minute",
        "recovery_rate_limit": "10000/minute",
        # The sender wakes when this worker queues mail; its idle poll would only add queries.
        "mail_poll_seconds": 300,
    }
    if shared_redis is not None:
        values["redis_url"] = shared_redis.url
        values["rate_limit_storage_uri"] = shared_redis.url
    values.update(settings_overrides)
    return _settings_of(values)


_built_settings: dict[str, Settings] = {}


def _settings_of(values: dict[str, object]) -> Settings:
    """Settings for these values, built once per test process: building reads and validates every
    field again (milliseconds per test). The environment is part of the key, since fields that
    are not given come from it; all but the variable pytest changes for every test."""
    environment = sorted(item for item in os.environ.items() if item[0] != "PYTEST_CURRENT_TEST")
    key = repr((sorted(values.items(), key=lambda item: item[0]), environment))
    if key not in _built_settings:
        _built_settings[key] = Settings(_env_file=None, **values)  # type: ignore[call-arg]
    return _built_settings[key].model_copy()


@pytest.fixture
def notifier() -> CapturingMail:
    """What the service sends, captured (the app's mail backend)."""
    return CapturingMail()


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A real SMTP server (aiosmtpd) in the test process; `settings()` points the service at it."""
    server = SmtpServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def mail_backend(notifier: CapturingMail) -> MailBackend:
    """Override to give the app another mail backend (tests/mail: a real SMTP server)."""
    return notifier


@pytest.fixture
async def app(settings: Settings, mail_backend: MailBackend, shared_app: SharedApp | None) -> AsyncIterator[FastAPI]:
    if shared_app is None:
        application = create_app(settings, mail_backend=mail_backend)
        async with LifespanManager(application, startup_timeout=60, shutdown_timeout=60):
            yield application
        return
    running = await shared_app.running(settings)
    shared_app.mail.target = mail_backend
    try:
        yield running
    finally:
        await shared_app.reset()


def deliver_mail_after_each_answer(app: FastAPI) -> Callable[[httpx.Response], Awaitable[None]]:
    """The outbox sends in the background; a test's next line must see what its request sent, so
    the client delivers what is due before handing over each answer (tests/mail tests the sender
    itself)."""

    mailer = app.state.services.mail
    seen = mailer.sender.wakes

    async def deliver(response: httpx.Response) -> None:
        nonlocal seen
        if mailer.sender.wakes == seen and not mailer.queueing:  # nothing queued: no query
            return
        try:
            await mailer.deliver_due()
            seen = mailer.sender.wakes
        except Exception:  # a test that broke the database on purpose; the answer is what it checks
            logger.debug("delivering mail after an answer failed", exc_info=True)

    return deliver


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=("203.0.113.10", 50000))
    hooks = {"response": [deliver_mail_after_each_answer(app)]}
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver", event_hooks=hooks) as http:
        yield http


@pytest.fixture
async def client_at(app: FastAPI) -> AsyncIterator[Callable[[str], httpx.AsyncClient]]:
    """`client_at("198.51.100.7")`: a client of the same app calling from another address."""
    async with AsyncExitStack() as stack:

        def make(host: str) -> httpx.AsyncClient:
            transport = httpx.ASGITransport(app=app, client=(host, 50000))
            http = httpx.AsyncClient(transport=transport, base_url="http://testserver")
            stack.push_async_callback(http.aclose)
            return http

        yield make


@pytest.fixture
def accounts(app: FastAPI, client: httpx.AsyncClient) -> Accounts:
    return Accounts(app, client)


@pytest.fixture
async def admin(accounts: Accounts) -> Account:
    return await accounts.create(role=Role.ADMIN)


@pytest.fixture
async def user(accounts: Accounts) -> Account:
    return await accounts.create(role=Role.USER)


@pytest.fixture
async def guest(accounts: Accounts) -> Account:
    return await accounts.create(role=Role.GUEST)


@pytest.fixture
async def hash_spy(app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> CryptContextSpy:
    """Records every hash and verification the service's PasswordHasher makes from now on, with
    the thread it ran on; `loop_thread_id` is the thread that runs the event loop."""
    passwords = app.state.services.passwords
    spy = CryptContextSpy(passwords.context)
    monkeypatch.setattr(passwords, "context", spy)
    spy.loop_thread_id = threading.get_ident()
    return spy


@pytest.fixture
def owners(app: FastAPI) -> Owners:
    return Owners(app)


@pytest.fixture
def keys(app: FastAPI, client: httpx.AsyncClient) -> Keys:
    return Keys(app, client)


@pytest.fixture
def clock(app: FastAPI) -> Clock:
    return Clock(app)


WorkerFactory = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def other_worker(app: object, settings: Settings) -> WorkerFactory:
    """`async with other_worker(**setting_changes) as client:` a client of a separate app
    instance on the test's database, as another uvicorn worker (or a restarted one) would be."""

    @asynccontextmanager
    async def start(**changes: object) -> AsyncIterator[httpx.AsyncClient]:
        worker_settings = Settings(_env_file=None, **{**settings.model_dump(), **changes})  # type: ignore[call-arg]
        application = create_app(worker_settings)
        async with LifespanManager(application, startup_timeout=60, shutdown_timeout=60):
            transport = httpx.ASGITransport(app=application, client=("198.51.100.7", 40000))
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
                yield client

    return start


# --- real server processes (the multi-process tests) ------------------------------------------

# The run's PostgreSQL and Redis servers (TEST_DATABASE_URL / TEST_REDIS_URL, or ones started once
# for the run and stopped at its end; tests/servers.py).
postgres_server_url = servers.postgres_server_url
redis_server_url = servers.redis_server_url


@pytest.fixture
def redis_url(redis_server_url: str) -> str:
    """The run's Redis, emptied for this test."""
    flush_redis(redis_server_url)
    return redis_server_url


@pytest.fixture
def gatehouse_servers(tmp_path: Path, databases: Databases) -> Iterator[Callable[[int, dict[str, str]], list[str]]]:
    """`gatehouse_servers(2, settings)`: start Gatehouse processes (`python -m app`), their URLs.

    The processes start together and share one empty database (a SQLite file, or one on the run's
    PostgreSQL), like the workers of one deployment, so they also migrate it together. They run in
    a temporary directory, so no `.env` of the developer's is read.
    """
    with databases.fresh(tmp_path, name="shared.db", empty=True) as database_url:
        yield from _servers(tmp_path, database_url)


def _servers(tmp_path: Path, database_url: str) -> Iterator[Callable[[int, dict[str, str]], list[str]]]:
    env = {
        "PATH": "/usr/bin:/bin",
        "DATABASE_URL": database_url,
        "SECRET_KEY": TEST_SECRET,
        "PASSWORD_BCRYPT_ROUNDS": "4",
    }
    started: list[Instance] = []

    def start(count: int, settings: dict[str, str]) -> list[str]:
        instances = start_instances(count, workdir=tmp_path, env={**env, **settings})
        started.extend(instances)
        return [instance.url for instance in instances]

    try:
        yield start
    finally:
        stop_instances(started)
