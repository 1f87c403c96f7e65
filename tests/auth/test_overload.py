"""Overload answers 503 with `Retry-After`, never 500, and changes nothing.

A worker admits PASSWORD_HASH_QUEUE_LIMIT password operations at once; beyond it login,
registration, password change, reset and admin creation answer 503 SERVICE_BUSY at once, before
touching the database.
"""

from __future__ import annotations

import asyncio
import threading

import pytest
from sqlalchemy import func, select

from app.lockout.models import LoginLockout
from app.users.models import User
from tests.factories import DEFAULT_PASSWORD


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"password_hash_queue_limit": 1}


@pytest.fixture
def held_hashing(app, monkeypatch):
    """Every password hash or verification waits until `release()`: the queue stays full."""
    passwords = app.state.services.passwords
    gate = threading.Event()
    hash_, verify = passwords.hash, passwords.verify_and_update

    def held_hash(password: str) -> str:
        gate.wait(30)
        return hash_(password)

    def held_verify(password: str, hashed: str) -> tuple[bool, str | None]:
        gate.wait(30)
        return verify(password, hashed)

    monkeypatch.setattr(passwords, "hash", held_hash)
    monkeypatch.setattr(passwords, "verify_and_update", held_verify)
    yield gate
    gate.set()


async def _fill_the_queue(client, user):
    """One login in flight, waiting on its password verification."""
    in_flight = asyncio.ensure_future(
        client.post("/auth/jwt/login", data={"username": user.email, "password": DEFAULT_PASSWORD})
    )
    for _ in range(200):
        if client._transport.app.state.services.passwords._admitted:  # type: ignore[attr-defined]
            return in_flight
        await asyncio.sleep(0.01)
    raise AssertionError("the first login never reached the hasher")


async def _count(app, statement) -> int:
    async with app.state.services.database.sessionmaker() as db:
        return int(await db.scalar(statement) or 0)


async def test_a_login_beyond_the_queue_answers_503_at_once_and_writes_nothing(app, client, user, held_hashing):
    in_flight = await _fill_the_queue(client, user)

    refused = await client.post("/auth/jwt/login", data={"username": user.email, "password": "wrong-password!!"})

    assert refused.status_code == 503
    assert refused.json() == {
        "detail": "SERVICE_BUSY",
        "message": refused.json()["message"],
        "error": "temporarily_unavailable",
        "error_description": refused.json()["message"],
    }
    assert int(refused.headers["Retry-After"]) >= 1
    assert await _count(app, select(func.count()).select_from(LoginLockout)) == 0  # the failure was not counted
    held_hashing.set()
    assert (await in_flight).status_code == 200


async def test_a_registration_beyond_the_queue_answers_503_and_creates_no_account(app, client, user, held_hashing):
    in_flight = await _fill_the_queue(client, user)

    refused = await client.post("/auth/register", json={"email": "late@example.com", "password": DEFAULT_PASSWORD})

    assert refused.status_code == 503
    assert refused.json()["detail"] == "SERVICE_BUSY"
    assert "Retry-After" in refused.headers
    held_hashing.set()
    await in_flight
    assert await _count(app, select(func.count()).select_from(User).where(User.email == "late@example.com")) == 0
    retried = await client.post("/auth/register", json={"email": "late@example.com", "password": DEFAULT_PASSWORD})
    assert retried.status_code == 201


async def test_password_change_reset_and_admin_creation_beyond_the_queue_answer_503(
    client, user, admin, notifier, held_hashing
):
    await client.post("/auth/forgot-password", json={"email": user.email})
    reset_token = notifier.reset_tokens[user.email]
    in_flight = await _fill_the_queue(client, user)

    answers = [
        await client.patch(
            "/users/me",
            json={"password": "another-long-password", "current_password": admin.password},
            headers=admin.headers,
        ),
        await client.post("/auth/reset-password", json={"token": reset_token, "password": "another-long-password"}),
        await client.post(
            "/admin/users", json={"email": "new@example.com", "password": DEFAULT_PASSWORD}, headers=admin.headers
        ),
    ]

    assert [answer.status_code for answer in answers] == [503, 503, 503]
    assert all(answer.json()["detail"] == "SERVICE_BUSY" for answer in answers)
    held_hashing.set()
    await in_flight
