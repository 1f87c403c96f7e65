"""What each worker remembers about users, sessions and API keys, and how it learns to forget.

Authenticating a request needs the user's role and active flag, and whether the token's session
or the API key is still live. Reading those from the database on every request would cost more
than the rest of the request, so each worker keeps them in bounded caches. Freshness:

* The worker that makes a change forgets the affected entries when the change commits, so its
  own next request sees it.
* Every other worker reads the `auth_events` rows written with each change (`app.authstate.changes`)
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
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field

from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy import func, or_, select
from sqlalchemy.exc import SQLAlchemyError

from app.authstate.cache import AuthCache, Read
from app.authstate.changes import AuthChange, AuthEvent, ChangeKind, subscribe
from app.config import Settings
from app.core.access_tokens import AccessClaims
from app.core.identity import ApiKeySnapshot, SessionState, UserSnapshot
from app.core.tasks import cancel_and_wait
from app.db.engine import Database

logger = logging.getLogger(__name__)

EPOCH_KEY = "gatehouse:auth:epoch"
GAP_PATIENCE_SECONDS = 30.0  # a transaction holding an event id uncommitted for longer is taken as rolled back
EVENTS_PER_READ = 1000


# Redis counters still to be incremented for the current request's commits; `announcing` (which
# the HTTP layer's middleware enters per request) awaits them before the response starts, so no
# client hears "done" before other workers can know.
_unannounced: contextvars.ContextVar[list[Awaitable[None]] | None] = contextvars.ContextVar(
    "gatehouse_unannounced", default=None
)


@contextlib.contextmanager
def announcing() -> Iterator[list[Awaitable[None]]]:
    """Collect the Redis announcements of the commits made inside; the caller awaits them."""
    pending: list[Awaitable[None]] = []
    token = _unannounced.set(pending)
    try:
        yield pending
    finally:
        _unannounced.reset(token)


@dataclass(frozen=True, slots=True)
class Loaders:
    """How to read what the cache holds, from the tables of the domains that own them."""

    user: Callable[[uuid.UUID], Awaitable[UserSnapshot | None]]
    session: Callable[[uuid.UUID], Awaitable[SessionState | None]]
    api_key: Callable[[str], Awaitable[ApiKeySnapshot | None]]


@dataclass(frozen=True, slots=True)
class TokenHolder:
    user: UserSnapshot | None
    session: SessionState | None


@dataclass(frozen=True, slots=True)
class KeyHolder:
    api_key: Read[ApiKeySnapshot | None]
    user: UserSnapshot | None


@dataclass
class _EventReader:
    last_id: int = 0
    gaps: dict[int, float] = field(default_factory=dict)  # id -> when first missed


class AuthState:
    """The auth cache and its change feed, behind one interface. Every lookup first makes the
    worker fresh (with Redis: catches up on changes announced anywhere), so no caller has to."""

    def __init__(self, *, settings: Settings, database: Database, loaders: Loaders) -> None:
        self.database = database
        self._loaders = loaders
        self._cache = AuthCache(size=settings.auth_cache_size, ttl=settings.auth_cache_ttl_seconds)
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
        self._unsubscribe: Callable[[], None] | None = None

    # --- lifecycle ------------------------------------------------------------------------
    async def start(self) -> None:
        self._unsubscribe = subscribe(self.database.engine, self.committed)
        async with self.database.sessionmaker() as db:
            self._reader.last_id = int(await db.scalar(select(func.max(AuthEvent.id))) or 0)
        self._seen_epoch = await self._read_epoch()
        self._task = asyncio.create_task(self._poll_forever(), name="auth-events-poller")

    async def stop(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        await cancel_and_wait(self._task)
        if self.redis is not None:
            await self.redis.aclose()

    async def forget_everything(self) -> None:
        """Drop every cached entry and read the change feed from where the database has it now:
        the next lookups read the database (for a database emptied or restored under a running
        worker, whose feed may start again from 1)."""
        self._cache.clear()
        async with self.database.sessionmaker() as db:
            last_id = int(await db.scalar(select(func.max(AuthEvent.id))) or 0)
        async with self._sync_lock:
            self._reader.last_id = last_id
            self._reader.gaps.clear()

    # --- lookups (each one fresh) -----------------------------------------------------------
    def claims(self, token: str) -> AccessClaims | None:
        """Claims of a token this worker has already verified (a token's claims never go stale)."""
        return self._cache.claims(token)

    def remember_claims(self, token: str, claims: AccessClaims) -> None:
        self._cache.remember_claims(token, claims)

    async def user(self, user_id: uuid.UUID) -> UserSnapshot | None:
        await self._ensure_fresh()
        return await self._cache.user(user_id, self._loaders.user)

    async def token_holder(self, *, user_id: uuid.UUID, session_id: uuid.UUID) -> TokenHolder:
        """The user and the session an access token names."""
        await self._ensure_fresh()
        user = await self._cache.user(user_id, self._loaders.user)
        session = await self._cache.session(session_id, self._loaders.session) if user is not None else None
        return TokenHolder(user=user, session=session)

    async def key_holder(self, digest: str) -> KeyHolder:
        """The API key with this digest (and the generation it was read at), and its owner."""
        await self._ensure_fresh()
        api_key = await self._cache.api_key(digest, self._loaders.api_key)
        user = await self._cache.user(api_key.value.user_id, self._loaders.user) if api_key.value else None
        return KeyHolder(api_key=api_key, user=user)

    # --- updates ------------------------------------------------------------------------------
    def touch_api_key(self, digest: str, *, expected: Read[ApiKeySnapshot | None], value: ApiKeySnapshot) -> bool:
        """After a write of the key's row: replace the cached copy with `value`, but only if it is
        still `expected` and nothing changed since it was read."""
        if expected.value is None:
            return False
        return self._cache.replace_api_key(digest, expected=expected.value, read_at=expected.generation, value=value)

    # --- freshness ------------------------------------------------------------------------
    async def _ensure_fresh(self) -> None:
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
                self._cache.clear()
                return
            self._cache.forget(changes)

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
        async with self.database.sessionmaker() as db:
            rows = (await db.execute(statement)).all()
        changes = []
        for event_id, kind, subject in rows:
            reader.gaps.pop(event_id, None)
            if event_id > reader.last_id:
                reader.gaps.update((missing, now) for missing in range(reader.last_id + 1, event_id))
                reader.last_id = event_id
            changes.append(AuthChange(ChangeKind(kind), subject))
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
            epoch = await self.redis.get(EPOCH_KEY)
        except (RedisError, OSError):
            self._note_redis_failure()
            return None
        self._redis_failing = False
        return epoch.encode() if isinstance(epoch, str) else epoch or b"0"

    def _note_redis_failure(self) -> None:
        if not self._redis_failing:
            logger.warning("Redis does not answer; other workers learn of auth changes by polling until it does")
        self._redis_failing = True

    # --- announcing this worker's changes -------------------------------------------------
    def committed(self, changes: list[AuthChange]) -> None:
        """A commit on this worker's engine made these changes (the change feed calls this)."""
        self._cache.forget(changes)
        if self.redis is None:
            return
        pending = _unannounced.get()
        announcement = self._announce(self.redis)
        if pending is not None:
            pending.append(announcement)
        else:  # a commit outside a request (start-up, scripts): announce in the background
            asyncio.get_running_loop().create_task(announcement)

    async def _announce(self, redis: Redis) -> None:
        try:
            await redis.incr(EPOCH_KEY)
        except (RedisError, OSError):
            self._note_redis_failure()
