"""API key factories and helpers: issue keys through the API, read and change rows directly."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event, update

from app.api_keys.models import ApiKey
from app.authstate.changes import AuthChange, ChangeKind, record_auth_events
from app.users.models import User
from tests.conftest import Account


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


@pytest.fixture
def owners(app: FastAPI) -> Owners:
    return Owners(app)


@pytest.fixture
def keys(app: FastAPI, client: httpx.AsyncClient) -> Keys:
    return Keys(app, client)


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
