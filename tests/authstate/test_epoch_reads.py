"""With Redis, each lookup of the auth state first reads the auth-change counter; lookups
that arrive together share one read, and a request never relies on a read sent before it
arrived."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from app.authstate.state import AuthState, Loaders


class SlowCountingRedis:
    """Answers GET with the value the key had when the command was sent, once `answer` is set."""

    def __init__(self, value: bytes) -> None:
        self.value = value
        self.gets = 0
        self.answer = asyncio.Event()

    async def get(self, key: str) -> bytes:
        self.gets += 1
        value_when_sent = self.value
        await self.answer.wait()
        return value_when_sent


@pytest.fixture
def state_with_redis(app, monkeypatch) -> tuple[AuthState, SlowCountingRedis, list[int]]:
    async def nothing(_key: object) -> None:
        return None

    state = AuthState(
        settings=app.state.services.settings,
        database=app.state.services.database,
        loaders=Loaders(user=nothing, session=nothing, api_key=nothing),
    )
    redis = SlowCountingRedis(b"1")
    state.redis = redis  # type: ignore[assignment]
    state._seen_epoch = b"1"
    syncs: list[int] = []

    async def counting_sync() -> None:
        syncs.append(1)

    monkeypatch.setattr(state, "sync", counting_sync)
    return state, redis, syncs


async def test_requests_arriving_together_share_one_read(state_with_redis):
    state, redis, syncs = state_with_redis
    requests = [asyncio.ensure_future(state.user(uuid.uuid4())) for _ in range(20)]
    await asyncio.sleep(0.01)
    redis.answer.set()
    await asyncio.gather(*requests)

    assert redis.gets == 1
    assert syncs == []  # nothing changed


async def test_a_request_arriving_after_a_change_waits_for_a_read_sent_after_it(state_with_redis):
    state, redis, syncs = state_with_redis
    early = asyncio.ensure_future(state.user(uuid.uuid4()))
    await asyncio.sleep(0.01)  # the early read is on its way, with the old value
    redis.value = b"2"  # another worker announces a change
    late = asyncio.ensure_future(state.user(uuid.uuid4()))
    await asyncio.sleep(0.01)
    redis.answer.set()
    await asyncio.gather(early, late)

    assert redis.gets == 2
    assert syncs == [1]  # the late request saw the change and caught up
    assert state._seen_epoch == b"2"


async def test_a_request_that_goes_away_does_not_cancel_the_shared_read(state_with_redis):
    state, redis, _ = state_with_redis
    leaving = asyncio.ensure_future(state.user(uuid.uuid4()))
    staying = asyncio.ensure_future(state.user(uuid.uuid4()))
    await asyncio.sleep(0.01)
    leaving.cancel()
    redis.answer.set()

    await staying
    assert redis.gets == 1
