"""What each worker remembers about users, sessions and API keys, and how it learns to forget.

Authenticating a request needs the user's role and active flag, and whether the token's session
or the API key is still live. Reading those from the database on every request would cost more
than the rest of the request, so each worker keeps them in bounded caches. Freshness:

* The worker that makes a change forgets the affected entries when the change commits, so its
  own next request sees it.
* Every other worker reads the `auth_events` rows written with each change (`app.auth.events`)
  every `AUTH_EVENTS_POLL_SECONDS` (default 0.5 s), so a change applies everywhere within a
  second with nothing but the database.
* With `REDIS_URL` set, a commit also increments a Redis counter before its response leaves, and
  every authenticated request compares that counter with the last value its worker has seen; when
  it moved, the worker reads the new events first. So a logout, demotion or revocation made
  through any worker or instance applies to the very next request everywhere. If Redis cannot be
  reached, the polling guarantee still holds.
* Entries also expire after `AUTH_CACHE_TTL_SECONDS`, so nothing outlives a missed signal.

The event reader tracks ids rather than clocks: ids a concurrent transaction has taken but not
yet committed show up as gaps and are asked for again until they appear (or, rolled back, age out).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar
from weakref import WeakKeyDictionary

from cachetools import TTLCache
from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy import func, or_, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.auth.events import AuthChange, AuthEvent, EventKind, on_commit
from app.auth.tokens import AccessClaims
from app.config import Settings
from app.db.engine import Database
from app.rbac.roles import Role
from app.users.models import User

logger = logging.getLogger(__name__)

EPOCH_KEY = "gatehouse:auth:epoch"
GAP_PATIENCE_SECONDS = 30.0  # a transaction holding an event id uncommitted for longer is taken as rolled back
EVENTS_PER_READ = 1000
V = TypeVar("V")


@dataclass(frozen=True, slots=True)
class UserSnapshot:
    """The user as authentication sees it; also what `GET /users/me` answers."""

    id: uuid.UUID
    email: str
    role: Role
    is_active: bool
    is_verified: bool
    created_at: datetime

    @classmethod
    def of(cls, user: User) -> UserSnapshot:
        return cls(
            id=user.id,
            email=user.email,
            role=user.role,
            is_active=user.is_active,
            is_verified=user.is_verified,
            created_at=user.created_at,
        )


@dataclass(frozen=True, slots=True)
class SessionState:
    user_id: uuid.UUID
    active: bool


class AuthCache:
    """Bounded, expiring maps; `generation` moves on every forget, so a value read from the
    database before a concurrent change is never stored after it."""

    def __init__(self, *, size: int, ttl: float) -> None:
        self.claims: TTLCache[str, AccessClaims] = TTLCache(maxsize=size, ttl=ttl)
        self.users: TTLCache[uuid.UUID, UserSnapshot | None] = TTLCache(maxsize=size, ttl=ttl)
        self.sessions: TTLCache[uuid.UUID, SessionState | None] = TTLCache(maxsize=size, ttl=ttl)
        self.api_keys: TTLCache[str, Any] = TTLCache(maxsize=size, ttl=ttl)
        self.generation = 0

    async def user(self, user_id: uuid.UUID, load: Callable[[], Awaitable[UserSnapshot | None]]) -> UserSnapshot | None:
        return await self._through(self.users, user_id, load)

    async def session(
        self, session_id: uuid.UUID, load: Callable[[], Awaitable[SessionState | None]]
    ) -> SessionState | None:
        return await self._through(self.sessions, session_id, load)

    async def api_key(self, key_hash: str, load: Callable[[], Awaitable[V]]) -> V:
        # Unknown keys are not remembered: anyone can make up well-formed keys, and they must not
        # push real ones out of the cache.
        return await self._through(self.api_keys, key_hash, load, remember_none=False)

    async def _through(
        self, cache: TTLCache[Any, Any], key: Any, load: Callable[[], Awaitable[V]], *, remember_none: bool = True
    ) -> V:
        try:
            value: V = cache[key]
            return value
        except KeyError:
            pass
        generation = self.generation
        value = await load()
        if generation == self.generation and (value is not None or remember_none):
            cache[key] = value
        return value

    def forget(self, changes: Iterable[AuthChange]) -> None:
        for change in changes:
            self.generation += 1
            if change.kind is EventKind.USER:
                self.users.pop(change.subject, None)
                self._forget_sessions_of(change.subject)
                self._forget_keys_of(change.subject)
            elif change.kind is EventKind.USER_SESSIONS:
                self._forget_sessions_of(change.subject)
            elif change.kind is EventKind.SESSION:
                self.sessions.pop(change.subject, None)
            elif change.kind is EventKind.API_KEY:
                for key_hash in [h for h, key in self.api_keys.items() if key.id == change.subject]:
                    self.api_keys.pop(key_hash, None)

    def _forget_sessions_of(self, user_id: uuid.UUID) -> None:
        for session_id in [s for s, state in self.sessions.items() if state is None or state.user_id == user_id]:
            self.sessions.pop(session_id, None)

    def _forget_keys_of(self, user_id: uuid.UUID) -> None:
        for key_hash in [h for h, key in self.api_keys.items() if key.user_id == user_id]:
            self.api_keys.pop(key_hash, None)

    def clear(self) -> None:
        self.generation += 1
        for cache in (self.users, self.sessions, self.api_keys):
            cache.clear()


# Redis counters still to be incremented for the current request's commits; the middleware below
# awaits them before the response starts, so no client hears "done" before other workers can know.
_unannounced: contextvars.ContextVar[list[Awaitable[None]] | None] = contextvars.ContextVar(
    "gatehouse_unannounced", default=None
)


@dataclass
class _EventReader:
    last_id: int = 0
    gaps: dict[int, float] = field(default_factory=dict)  # id -> when first missed


class AuthState:
    def __init__(self, *, settings: Settings, database: Database) -> None:
        self.database = database
        self.cache = AuthCache(size=settings.auth_cache_size, ttl=settings.auth_cache_ttl_seconds)
        self.poll_seconds = settings.auth_events_poll_seconds
        self.redis: Redis | None = (
            Redis.from_url(settings.redis_url, socket_timeout=0.5, socket_connect_timeout=0.5)
            if settings.redis_url
            else None
        )
        self._reader = _EventReader()
        self._seen_epoch: bytes | None = None
        self._epoch_read: asyncio.Task[bytes | None] | None = None
        self._sync_lock = asyncio.Lock()
        self._redis_failing = False
        self._task: asyncio.Task[None] | None = None

    # --- lifecycle ------------------------------------------------------------------------
    async def start(self) -> None:
        _registry[self.database.engine.sync_engine] = self
        async with self.database.sessionmaker() as session:
            self._reader.last_id = int(await session.scalar(select(func.max(AuthEvent.id))) or 0)
        self._seen_epoch = await self._read_epoch()
        self._task = asyncio.create_task(self._poll_forever(), name="auth-events-poller")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self.redis is not None:
            await self.redis.aclose()

    # --- freshness ------------------------------------------------------------------------
    async def ensure_fresh(self) -> None:
        """With Redis: catch up on changes announced anywhere, before deciding on a request."""
        if self.redis is None:
            return
        # Shielded: a client that hangs up must not cancel the read other requests are awaiting.
        epoch = await asyncio.shield(self._next_epoch_read())
        if epoch is not None and epoch != self._seen_epoch:
            await self.sync()
            self._seen_epoch = epoch

    async def sync(self) -> None:
        """Read new auth events and forget what they make stale."""
        async with self._sync_lock:
            try:
                changes = await self._read_events()
            except SQLAlchemyError:
                logger.warning("could not read auth events; dropping cached auth state", exc_info=True)
                self.cache.clear()
                return
            self.cache.forget(changes)

    async def _read_events(self) -> list[AuthChange]:
        reader = self._reader
        now = time.monotonic()
        for gap, since in list(reader.gaps.items()):
            if now - since > GAP_PATIENCE_SECONDS:
                del reader.gaps[gap]
        condition = AuthEvent.id > reader.last_id
        if reader.gaps:
            condition = or_(condition, AuthEvent.id.in_(list(reader.gaps)))
        statement = (
            select(AuthEvent.id, AuthEvent.kind, AuthEvent.subject)
            .where(condition)
            .order_by(AuthEvent.id)
            .limit(EVENTS_PER_READ)
        )
        async with self.database.sessionmaker() as session:
            rows = (await session.execute(statement)).all()
        changes = []
        for event_id, kind, subject in rows:
            reader.gaps.pop(event_id, None)
            if event_id > reader.last_id:
                reader.gaps.update((missing, now) for missing in range(reader.last_id + 1, event_id))
                reader.last_id = event_id
            changes.append(AuthChange(EventKind(kind), subject))
        return changes

    async def _poll_forever(self) -> None:
        while True:
            await asyncio.sleep(self.poll_seconds)
            await self.sync()

    def _next_epoch_read(self) -> asyncio.Task[bytes | None]:
        """A read of the epoch that is sent after this call. Requests that arrive before it is
        sent share it: under load, one Redis round trip serves every request a worker accepted
        in the same turn of the event loop, and each still sees every change announced before
        it arrived."""
        if self._epoch_read is None:
            self._epoch_read = asyncio.create_task(self._send_epoch_read())
        return self._epoch_read

    async def _send_epoch_read(self) -> bytes | None:
        self._epoch_read = None  # from here on, arrivals need a read sent after them
        return await self._read_epoch()

    async def _read_epoch(self) -> bytes | None:
        if self.redis is None:
            return None
        try:
            epoch: bytes | None = await self.redis.get(EPOCH_KEY)
        except (RedisError, OSError):
            self._note_redis_failure()
            return None
        self._redis_failing = False
        return epoch or b"0"

    def _note_redis_failure(self) -> None:
        if not self._redis_failing:
            logger.warning("Redis does not answer; other workers learn of auth changes by polling until it does")
        self._redis_failing = True

    # --- announcing this worker's changes -------------------------------------------------
    def committed(self, changes: list[AuthChange]) -> None:
        self.cache.forget(changes)
        if self.redis is None:
            return
        pending = _unannounced.get()
        announcement = self._announce()
        if pending is not None:
            pending.append(announcement)
        else:  # a commit outside a request (start-up, scripts): announce in the background
            asyncio.get_running_loop().create_task(announcement)

    async def _announce(self) -> None:
        assert self.redis is not None
        try:
            await self.redis.incr(EPOCH_KEY)
        except (RedisError, OSError):
            self._note_redis_failure()


_registry: WeakKeyDictionary[Engine, AuthState] = WeakKeyDictionary()


def _on_commit(session: Session, changes: list[AuthChange]) -> None:
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    state = _registry.get(engine)
    if state is not None:
        state.committed(changes)


on_commit(_on_commit)


class AnnounceAuthChanges:
    """ASGI middleware: a response starts only after the Redis counter of every auth change the
    request committed has been incremented."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        pending: list[Awaitable[None]] = []
        token = _unannounced.set(pending)

        async def send_after_announcing(message: Message) -> None:
            if message["type"] == "http.response.start" and pending:
                announcements = list(pending)
                pending.clear()
                await asyncio.gather(*announcements)
            await send(message)

        try:
            await self.app(scope, receive, send_after_announcing)
        finally:
            _unannounced.reset(token)
            for leftover in pending:  # committed after the response started
                await leftover
