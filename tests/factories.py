"""Factories and helpers shared by every test folder: accounts, API keys, lockout clocks.

The fixtures that hand them out live in tests/conftest.py; test modules import the classes and
constants from here, never from a conftest.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from email.message import EmailMessage
from typing import Any
from urllib.parse import unquote

import httpx
from fastapi import FastAPI
from sqlalchemy import event, update

from app.api_keys.models import ApiKey
from app.authstate.changes import AuthChange, ChangeKind, record_auth_events
from app.core.emails import normalise_email
from app.core.passwords import PasswordHasher
from app.core.roles import Role
from app.db.base import utcnow
from app.lockout.models import LoginLockout
from app.users.models import User

TEST_SECRET = "test-secret-" + "x" * 40
DEFAULT_PASSWORD = "a-long-enough-password"


# The link paths of the default VERIFY_EMAIL_URL, RESET_PASSWORD_URL and CONFIRM_EMAIL_CHANGE_URL.
LINK_PATTERN = re.compile(r"https?://\S+?/console/(verify|reset-password|confirm-email)\?token=([^\s\"<]+)")


def links_in(message: EmailMessage) -> list[tuple[str, str]]:
    """(page, token) of every link in the message's text part."""
    text = message.get_body(preferencelist=("plain",))
    assert text is not None
    return [(page, unquote(token)) for page, token in LINK_PATTERN.findall(text.get_content())]


@dataclass
class CapturingMail:
    """A mail backend that keeps what the service sends, and the tokens of its links by recipient."""

    messages: list[EmailMessage] = field(default_factory=list)
    reset_tokens: dict[str, str] = field(default_factory=dict)
    verify_tokens: dict[str, str] = field(default_factory=dict)
    email_change_tokens: dict[str, str] = field(default_factory=dict)

    async def send(self, message: EmailMessage) -> None:
        self.messages.append(message)
        pages = {
            "verify": self.verify_tokens,
            "reset-password": self.reset_tokens,
            "confirm-email": self.email_change_tokens,
        }
        for page, token in links_in(message):
            pages[page][str(message["To"])] = token

    def to(self, address: str) -> list[EmailMessage]:
        return [message for message in self.messages if message["To"] == address]

    def subjects(self, address: str) -> list[str]:
        return [str(message["Subject"]) for message in self.to(address)]


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
        """An active, verified account with this role, written as one row (the routes that create
        accounts have tests of their own), its password hashed the way the service hashes it."""
        email = normalise_email(email or f"{role.value}-{uuid.uuid4().hex[:10]}@example.com")
        services = self.app.state.services
        hashed_password = await _hash_of(password, rounds=services.passwords.rounds)
        async with services.database.sessionmaker() as session:
            user = User(email=email, hashed_password=hashed_password, role=role, is_active=True, is_verified=True)
            session.add(user)
            await session.commit()
            user_id = user.id
        account = Account(id=user_id, email=email, password=password, role=role)
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


_hashers: dict[int, PasswordHasher] = {}
_hashes: dict[tuple[str, int], str] = {}


async def _hash_of(password: str, *, rounds: int) -> str:
    """The hash of `password` at this cost, computed once per test process by a hasher of the
    factory's own (a test spying on the service's hasher sees only what the service does)."""
    if (password, rounds) not in _hashes:
        hasher = _hashers.setdefault(rounds, PasswordHasher(rounds=rounds, threads=1))
        _hashes[(password, rounds)] = await hasher.hash_async(password)
    return _hashes[(password, rounds)]


# --- API keys -------------------------------------------------------------------------------------


@dataclass
class IssuedKey:
    id: uuid.UUID
    key: str
    body: dict[str, Any]

    @property
    def headers(self) -> dict[str, str]:
        return {"X-API-Key": self.key}


class Keys:
    def __init__(self, app: FastAPI, client: httpx.AsyncClient) -> None:
        self.app = app
        self.client = client

    async def create(self, owner: Account | dict[str, str], *, name: str = "script", **fields: Any) -> IssuedKey:
        headers = owner.headers if isinstance(owner, Account) else owner
        response = await self.client.post("/api-keys", json={"name": name, **fields}, headers=headers)
        assert response.status_code == 201, response.text
        body = response.json()
        return IssuedKey(id=uuid.UUID(body["id"]), key=body["key"], body=body)

    async def row(self, key_id: uuid.UUID) -> ApiKey:
        async with self.app.state.services.database.sessionmaker() as session:
            row = await session.get(ApiKey, key_id)
            assert row is not None
            return row

    async def set_columns(self, key_id: uuid.UUID, **values: Any) -> None:
        """Change the key's row directly, recording the auth event any code path that changes
        keys records, so workers' caches learn of it."""
        async with self.app.state.services.database.sessionmaker() as session:
            await session.execute(update(ApiKey).where(ApiKey.id == key_id).values(**values))
            record_auth_events(session, [AuthChange(ChangeKind.API_KEY, key_id)])
            await session.commit()


class Owners:
    """Change or delete accounts directly, as an admin or another worker would."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app

    async def update(self, account: Account, **values: Any) -> None:
        async with self.app.state.services.database.sessionmaker() as session:
            row = await session.get(User, account.id)
            assert row is not None
            for name, value in values.items():
                setattr(row, name, value)
            await session.commit()

    async def delete(self, account: Account) -> None:
        async with self.app.state.services.database.sessionmaker() as session:
            row = await session.get(User, account.id)
            assert row is not None
            await session.delete(row)
            await session.commit()


@contextmanager
def recorded_statements(app: FastAPI) -> Iterator[list[str]]:
    """Every SQL statement the app sends while the block runs."""
    statements: list[str] = []
    engine = app.state.services.database.engine.sync_engine

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


# --- lockout --------------------------------------------------------------------------------------


WRONG_PASSWORD = "certainly-not-the-password"


async def log_in(client: httpx.AsyncClient, email: str, password: str = WRONG_PASSWORD) -> httpx.Response:
    return await client.post("/auth/jwt/login", data={"username": email, "password": password})


class Clock:
    """Moves stored locks into the past, instead of waiting for them to end."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app

    async def end_all_locks(self) -> None:
        async with self.app.state.services.database.sessionmaker() as session:
            await session.execute(update(LoginLockout).values(locked_until=utcnow() - timedelta(seconds=1)))
            await session.commit()
