"""The per-worker auth caches: a change applies to the next request on the worker that made it,
within a poll on every other worker, and, with Redis, on the very next request everywhere.

Two apps on one database stand for two workers (or instances)."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from app.authstate.cache import AuthCache
from app.authstate.changes import AuthChange, AuthEvent, ChangeKind
from app.config import Settings
from app.core.identity import SessionState
from app.core.roles import Role
from app.main import create_app

POLL_PATIENCE_SECONDS = 5.0


@asynccontextmanager
async def worker(settings: Settings) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    application = create_app(settings)
    async with LifespanManager(application, startup_timeout=60, shutdown_timeout=60):
        transport = httpx.ASGITransport(app=application, client=("203.0.113.20", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield application, client


async def eventually(check: Callable[[], object], *, within: float = POLL_PATIENCE_SECONDS) -> None:
    """Wait (bounded) for a condition that a background poll makes true."""
    deadline = time.monotonic() + within
    while not await check():  # type: ignore[misc]
        assert time.monotonic() < deadline, "the other worker never learned of the change"
        await asyncio.sleep(0.05)


async def test_logout_applies_to_the_next_request_on_the_same_worker(client, user):
    assert (await client.get("/users/me", headers=user.headers)).status_code == 200  # now cached

    assert (await client.post("/auth/jwt/logout", headers=user.headers)).status_code == 204

    assert (await client.get("/users/me", headers=user.headers)).status_code == 401


async def test_demotion_applies_to_the_next_request_on_the_same_worker(client, accounts, admin):
    other_admin = await accounts.create(role=Role.ADMIN)
    assert (await client.get("/admin/users", headers=other_admin.headers)).status_code == 200

    response = await client.patch(f"/admin/users/{other_admin.id}", json={"role": "user"}, headers=admin.headers)
    assert response.status_code == 200

    assert (await client.get("/admin/users", headers=other_admin.headers)).status_code == 403


async def test_a_second_worker_learns_of_a_logout_by_polling(settings, client, user):
    async with worker(settings) as (_, second):
        assert (await second.get("/users/me", headers=user.headers)).status_code == 200  # cached there

        assert (await client.post("/auth/jwt/logout", headers=user.headers)).status_code == 204

        async def refused() -> bool:
            return (await second.get("/users/me", headers=user.headers)).status_code == 401

        await eventually(refused)


async def test_a_second_worker_learns_of_a_deactivation_by_polling(settings, client, accounts, admin, user):
    async with worker(settings) as (_, second):
        assert (await second.get("/users/me", headers=user.headers)).status_code == 200

        response = await client.patch(f"/admin/users/{user.id}", json={"is_active": False}, headers=admin.headers)
        assert response.status_code == 200

        async def refused() -> bool:
            return (await second.get("/users/me", headers=user.headers)).status_code == 401

        await eventually(refused)


async def test_a_second_worker_learns_of_a_revoked_api_key_by_polling(settings, client, user):
    created = await client.post("/api-keys", json={"name": "script"}, headers=user.headers)
    key = {"X-API-Key": created.json()["key"]}
    async with worker(settings) as (_, second):
        assert (await second.get("/users/me", headers=key)).status_code == 200

        assert (await client.delete(f"/api-keys/{created.json()['id']}", headers=user.headers)).status_code == 204

        async def refused() -> bool:
            return (await second.get("/users/me", headers=key)).status_code == 401

        await eventually(refused)


@pytest.fixture
def shared_redis_settings(settings: Settings, redis_url: str) -> Settings:
    return settings.model_copy(update={"redis_url": redis_url})


async def test_with_redis_another_worker_refuses_a_logged_out_token_on_the_next_request(shared_redis_settings):
    async with (
        worker(shared_redis_settings) as (first_app, first),
        worker(shared_redis_settings) as (second_app, second),
    ):
        _stop_polling(second_app)  # only the Redis signal can tell the second worker
        second_token = await _login_new_user(first_app, first)
        headers = {"Authorization": f"Bearer {second_token}"}
        assert (await second.get("/users/me", headers=headers)).status_code == 200

        assert (await first.post("/auth/jwt/logout", headers=headers)).status_code == 204

        assert (await second.get("/users/me", headers=headers)).status_code == 401


async def test_with_redis_another_worker_applies_a_demotion_on_the_next_request(shared_redis_settings):
    async with (
        worker(shared_redis_settings) as (first_app, first),
        worker(shared_redis_settings) as (second_app, second),
    ):
        _stop_polling(second_app)
        admin_token = await _login_new_user(first_app, first, role=Role.ADMIN)
        other_admin_token = await _login_new_user(first_app, first, role=Role.ADMIN)
        other = {"Authorization": f"Bearer {other_admin_token}"}
        other_id = (await first.get("/users/me", headers=other)).json()["id"]
        assert (await second.get("/admin/users", headers=other)).status_code == 200

        response = await first.patch(
            f"/admin/users/{other_id}", json={"role": "guest"}, headers={"Authorization": f"Bearer {admin_token}"}
        )
        assert response.status_code == 200

        assert (await second.get("/admin/users", headers=other)).status_code == 403


async def test_without_redis_or_polling_another_worker_keeps_its_cached_answer(settings):
    """The control for the two tests above: their second worker learns only through Redis."""
    settings = settings.model_copy(update={"redis_url": None})
    async with worker(settings) as (first_app, first), worker(settings) as (second_app, second):
        _stop_polling(second_app)
        headers = {"Authorization": f"Bearer {await _login_new_user(first_app, first)}"}
        assert (await second.get("/users/me", headers=headers)).status_code == 200

        assert (await first.post("/auth/jwt/logout", headers=headers)).status_code == 204

        assert (await second.get("/users/me", headers=headers)).status_code == 200


def _stop_polling(app: FastAPI) -> None:
    task = app.state.services.auth._task
    assert task is not None
    task.cancel()


async def _login_new_user(app: FastAPI, client: httpx.AsyncClient, *, role: Role = Role.USER) -> str:
    from tests.factories import DEFAULT_PASSWORD, Accounts

    account = await Accounts(app, client).create(role=role, email=f"w-{uuid.uuid4().hex[:10]}@example.com")
    assert account.password == DEFAULT_PASSWORD
    return account.token


# --- the event reader and the cache ---------------------------------------------------------


class Loads:
    """A loader that counts its calls: a lookup that calls it found nothing cached."""

    def __init__(self, value: SessionState | None = None) -> None:
        self.value = value or SessionState(user_id=uuid.uuid4(), active=True)
        self.calls = 0

    async def __call__(self, _key: object) -> SessionState | None:
        self.calls += 1
        return self.value


async def _is_cached(cache: AuthCache, session_id: uuid.UUID) -> bool:
    probe = Loads()
    await cache.session(session_id, probe)
    cache.forget([AuthChange(ChangeKind.SESSION, session_id)])  # the probe's own entry goes again
    return probe.calls == 0


async def test_an_event_committed_after_a_later_one_is_still_read(app):
    """PostgreSQL hands out ids before commit: a later id may become visible first."""
    state = app.state.services.auth
    cache = state._cache
    await state.sync()
    base = state._reader.last_id
    subject_late, subject_early = uuid.uuid4(), uuid.uuid4()
    await cache.session(subject_early, Loads())
    async with app.state.services.database.sessionmaker() as db:
        db.add(AuthEvent(id=base + 2, kind=ChangeKind.SESSION.value, subject=subject_late))
        await db.commit()
    await state.sync()
    assert state._reader.last_id == base + 2
    assert base + 1 in state._reader.gaps

    async with app.state.services.database.sessionmaker() as db:
        db.add(AuthEvent(id=base + 1, kind=ChangeKind.SESSION.value, subject=subject_early))
        await db.commit()
    await cache.session(subject_early, Loads())  # re-cached meanwhile
    await state.sync()

    assert not await _is_cached(cache, subject_early)
    assert not state._reader.gaps


async def test_a_value_loaded_across_a_change_is_not_cached():
    cache = AuthCache(size=10, ttl=60)
    session_id = uuid.uuid4()

    async def load_then_change(_key: object) -> SessionState:
        cache.forget([AuthChange(ChangeKind.SESSION, session_id)])  # a revocation lands mid-load
        return SessionState(user_id=uuid.uuid4(), active=True)

    await cache.session(session_id, load_then_change)

    assert not await _is_cached(cache, session_id)


async def test_forgetting_a_user_forgets_their_sessions_and_keeps_others():
    cache = AuthCache(size=10, ttl=60)
    user_id, other_id = uuid.uuid4(), uuid.uuid4()
    mine, theirs = uuid.uuid4(), uuid.uuid4()
    await cache.session(mine, Loads(SessionState(user_id=user_id, active=True)))
    await cache.session(theirs, Loads(SessionState(user_id=other_id, active=True)))

    cache.forget([AuthChange(ChangeKind.USER, user_id)])

    assert not await _is_cached(cache, mine)
    assert await _is_cached(cache, theirs)


async def test_the_caches_are_bounded():
    cache = AuthCache(size=100, ttl=60)
    first = uuid.uuid4()
    await cache.session(first, Loads())
    for _ in range(1000):
        await cache.session(uuid.uuid4(), Loads())
    assert len(cache._sessions) == 100
    assert not await _is_cached(cache, first)
