"""Shared fixtures: a fresh app and database per test, an async httpx client, and factories."""

from __future__ import annotations

import threading
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from app.config import Settings
from app.main import create_app
from app.core.roles import Role
from app.users.bootstrap import create_admin
from app.users.models import User
from tests.backends import (
    DATABASE_VARIABLE,
    REDIS_VARIABLE,
    Databases,
    PostgresServer,
    RedisServer,
    configured,
    report_header,
)
from tests.support import CryptContextSpy

TEST_SECRET = "test-secret-" + "x" * 40
DEFAULT_PASSWORD = "a-long-enough-password"


@dataclass
class CapturingNotifier:
    """Stands in for mail delivery: keeps the tokens the service would send."""

    reset_tokens: dict[str, str] = field(default_factory=dict)
    verify_tokens: dict[str, str] = field(default_factory=dict)

    async def password_reset_requested(self, *, user: User, token: str) -> None:
        self.reset_tokens[user.email] = token

    async def verification_requested(self, *, user: User, token: str) -> None:
        self.verify_tokens[user.email] = token


def pytest_report_header() -> list[str]:
    return report_header()


@pytest.fixture(scope="session")
def databases() -> Iterator[Databases]:
    """Where test databases come from: SQLite files, or PostgreSQL with TEST_DATABASE_URL."""
    url = configured(DATABASE_VARIABLE)
    postgres = PostgresServer(url) if url else None
    try:
        yield Databases(postgres)
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


@pytest.fixture
def database_url(databases: Databases, tmp_path: Path) -> Iterator[str]:
    """A database of this test's own, without any rows (see tests/backends.py)."""
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
    }
    if shared_redis is not None:
        values["redis_url"] = shared_redis.url
        values["rate_limit_storage_uri"] = shared_redis.url
    values.update(settings_overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture
def notifier() -> CapturingNotifier:
    return CapturingNotifier()


@pytest.fixture
async def app(settings: Settings, notifier: CapturingNotifier) -> AsyncIterator[FastAPI]:
    application = create_app(settings, notifier=notifier)
    async with LifespanManager(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=("203.0.113.10", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
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


@dataclass
class Account:
    id: uuid.UUID
    email: str
    password: str
    role: Role
    token: str = ""

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


class Accounts:
    """Factory: creates accounts directly (fast) and logs them in through the API (real tokens)."""

    def __init__(self, app: FastAPI, client: httpx.AsyncClient) -> None:
        self.app = app
        self.client = client

    async def create(
        self,
        *,
        role: Role = Role.USER,
        email: str | None = None,
        password: str = DEFAULT_PASSWORD,
        login: bool = True,
    ) -> Account:
        email = email or f"{role.value}-{uuid.uuid4().hex[:10]}@example.com"
        services = self.app.state.services
        user = await create_admin(
            database=services.database, passwords=services.passwords, email=email, password=password
        )
        if role is not Role.ADMIN:
            async with services.database.sessionmaker() as session:
                row = await session.get(User, user.id)
                assert row is not None
                row.role = role
                await session.commit()
        account = Account(id=user.id, email=email, password=password, role=role)
        if login:
            account.token = await self.login(email, password)
        return account

    async def update(self, account: Account, **values: object) -> None:
        """Change columns of the account's row directly (role, is_active, ...), as another
        process or an admin would, without touching the tokens the account holds."""
        async with self.app.state.services.database.sessionmaker() as session:
            row = await session.get(User, account.id)
            assert row is not None
            for name, value in values.items():
                setattr(row, name, value)
            await session.commit()
        if "role" in values:
            account.role = Role(values["role"])  # type: ignore[arg-type]

    async def login(self, email: str, password: str) -> str:
        response = await self.client.post("/auth/jwt/login", data={"username": email, "password": password})
        assert response.status_code == 200, response.text
        token: str = response.json()["access_token"]
        return token


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
