"""Expired and long-ended sessions and refresh tokens are deleted, so the tables stay bounded."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

from sqlalchemy import select

from app.db.base import utcnow
from app.sessions.models import AuthSession, RefreshToken
from app.sessions.pruning import RETENTION, SessionPruner, prune_expired

DAY = timedelta(days=1)


async def add_session(app, user_id, *, expires_in: timedelta, revoked_ago: timedelta | None = None) -> uuid.UUID:
    """A session with one refresh token, both expiring `expires_in` from now (negative: past)."""
    now = utcnow()
    async with app.state.services.database.sessionmaker() as db:
        session = AuthSession(
            user_id=user_id,
            created_at=now - 40 * DAY,
            expires_at=now + expires_in,
            revoked_at=now - revoked_ago if revoked_ago is not None else None,
            revoked_reason="logout" if revoked_ago is not None else None,
        )
        db.add(session)
        await db.flush()
        db.add(
            RefreshToken(
                session_id=session.id,
                token_hash=uuid.uuid4().hex * 2,
                created_at=now - 40 * DAY,
                expires_at=now + expires_in,
            )
        )
        await db.commit()
        return session.id


async def add_token(app, session_id, *, expires_in: timedelta, used: bool = True) -> uuid.UUID:
    now = utcnow()
    async with app.state.services.database.sessionmaker() as db:
        token = RefreshToken(
            session_id=session_id,
            token_hash=uuid.uuid4().hex * 2,
            created_at=now - 40 * DAY,
            expires_at=now + expires_in,
            used_at=now - 30 * DAY if used else None,
        )
        db.add(token)
        await db.commit()
        return token.id


async def session_ids(app) -> set[uuid.UUID]:
    async with app.state.services.database.sessionmaker() as db:
        return set((await db.scalars(select(AuthSession.id))).all())


async def token_ids(app) -> set[uuid.UUID]:
    async with app.state.services.database.sessionmaker() as db:
        return set((await db.scalars(select(RefreshToken.id))).all())


async def token_session_ids(app) -> set[uuid.UUID]:
    async with app.state.services.database.sessionmaker() as db:
        return set((await db.scalars(select(RefreshToken.session_id))).all())


async def test_sessions_expired_beyond_the_retention_are_deleted_with_their_tokens(app, user):
    old = await add_session(app, user.id, expires_in=-(RETENTION + DAY))

    pruned = await prune_expired(app.state.services.database)

    assert pruned.sessions == 1
    assert old not in await session_ids(app)
    assert old not in await token_session_ids(app)


async def test_sessions_revoked_beyond_the_retention_are_deleted(app, user):
    ended = await add_session(app, user.id, expires_in=20 * DAY, revoked_ago=RETENTION + DAY)

    await prune_expired(app.state.services.database)

    assert ended not in await session_ids(app)


async def test_recently_expired_or_revoked_sessions_are_kept_for_the_retention(app, user):
    expired = await add_session(app, user.id, expires_in=-timedelta(hours=1))
    revoked = await add_session(app, user.id, expires_in=20 * DAY, revoked_ago=timedelta(hours=1))

    await prune_expired(app.state.services.database)

    assert {expired, revoked} <= await session_ids(app)


async def test_active_sessions_and_their_unexpired_spent_tokens_are_kept(app, user):
    active = await add_session(app, user.id, expires_in=20 * DAY)
    spent = await add_token(app, active, expires_in=5 * DAY)

    pruned = await prune_expired(app.state.services.database)

    assert pruned.sessions == 0
    assert active in await session_ids(app)
    assert spent in await token_ids(app)


async def test_expired_tokens_of_an_active_session_are_deleted(app, user):
    active = await add_session(app, user.id, expires_in=20 * DAY)
    expired = await add_token(app, active, expires_in=-(RETENTION + DAY))

    pruned = await prune_expired(app.state.services.database)

    assert pruned.refresh_tokens == 1
    assert expired not in await token_ids(app)
    assert active in await session_ids(app)


async def test_logged_in_sessions_survive_pruning(client, app, user):
    await prune_expired(app.state.services.database, now=utcnow())

    response = await client.get("/users/me", headers=user.headers)

    assert response.status_code == 200


async def test_each_start_of_the_service_prunes(app, user, other_worker):
    old = await add_session(app, user.id, expires_in=-(RETENTION + DAY))

    async with other_worker():
        assert old not in await session_ids(app)


async def test_the_pruner_keeps_pruning_in_the_background(app, user):
    async with SessionPruner(app.state.services.database, interval=timedelta(0)):
        old = await add_session(app, user.id, expires_in=-(RETENTION + DAY))
        for _ in range(500):  # a bounded wait for the next round, not a timing assertion
            if old not in await session_ids(app):
                break
            await asyncio.sleep(0.01)

    assert old not in await session_ids(app)


async def test_two_workers_pruning_at_once_both_succeed(app, user):
    for _ in range(3):
        await add_session(app, user.id, expires_in=-(RETENTION + DAY))

    results = await asyncio.gather(
        prune_expired(app.state.services.database), prune_expired(app.state.services.database)
    )

    assert sum(result.sessions for result in results) == 3
