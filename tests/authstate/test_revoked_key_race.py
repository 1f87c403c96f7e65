"""A revocation that lands while a request is recording the key's use is never undone.

The request that records `last_used_at` read the key before the revocation; once its write
commits it updates the cached copy. That update must not bring back the copy read before the
revocation: the key stays refused on this worker from the revocation on.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from app.authstate.cache import AuthCache
from app.core.identity import ApiKeySnapshot
from app.core.roles import Role


async def test_a_key_revoked_during_its_use_write_stays_refused(app, client, user, keys, monkeypatch):
    issued = await keys.create(user)
    await keys.set_columns(issued.id, last_used_at=datetime.now(UTC) - timedelta(minutes=5))
    authenticator = app.state.services.authenticator
    record_use = authenticator._record_use
    writing, release = asyncio.Event(), asyncio.Event()

    async def held_open(api_key: ApiKeySnapshot, now: datetime) -> bool:
        writing.set()
        await release.wait()  # the slow write: the key is revoked and read again meanwhile
        return await record_use(api_key, now)

    monkeypatch.setattr(authenticator, "_record_use", held_open)

    in_flight = asyncio.ensure_future(client.get("/users/me", headers=issued.headers))
    await asyncio.wait_for(writing.wait(), timeout=30)
    revoked = await client.delete(f"/api-keys/{issued.id}", headers=user.headers)
    refused_meanwhile = await client.get("/users/me", headers=issued.headers)
    release.set()
    first = await in_flight
    after_the_write = await client.get("/users/me", headers=issued.headers)

    assert revoked.status_code == 204
    assert refused_meanwhile.status_code == 401
    assert first.status_code == 200  # authenticated before the revocation
    assert after_the_write.status_code == 401
    assert after_the_write.json()["detail"] == "API_KEY_REVOKED"
    assert (await keys.row(issued.id)).last_used_at is not None


def _snapshot(**changes: object) -> ApiKeySnapshot:
    import uuid

    values: dict[str, object] = {
        "id": uuid.uuid4(),
        "user_id": uuid.uuid4(),
        "role": Role.USER,
        "expires_at": None,
        "revoked_at": None,
        "last_used_at": None,
    }
    values.update(changes)
    return ApiKeySnapshot(**values)  # type: ignore[arg-type]


async def test_compare_and_set_replaces_the_entry_it_read():
    cache = AuthCache(size=10, ttl=60)
    read = _snapshot()

    async def load(_digest: str) -> ApiKeySnapshot:
        return read

    entry = await cache.api_key("digest", load)
    touched = _snapshot(id=read.id, last_used_at=datetime.now(UTC))

    assert cache.replace_api_key("digest", expected=read, read_at=entry.generation, value=touched)
    assert (await cache.api_key("digest", load)).value is touched


async def test_compare_and_set_refuses_after_a_change_was_forgotten():
    from app.authstate.changes import AuthChange, ChangeKind

    cache = AuthCache(size=10, ttl=60)
    read = _snapshot()

    async def load(_digest: str) -> ApiKeySnapshot:
        return read

    entry = await cache.api_key("digest", load)
    cache.forget([AuthChange(ChangeKind.API_KEY, read.id)])
    revoked = _snapshot(id=read.id, revoked_at=datetime.now(UTC))

    async def load_revoked(_digest: str) -> ApiKeySnapshot:
        return revoked

    await cache.api_key("digest", load_revoked)  # re-read, revoked

    assert not cache.replace_api_key("digest", expected=read, read_at=entry.generation, value=read)
    assert (await cache.api_key("digest", load)).value is revoked
