"""The bounded, expiring maps behind `AuthState`, and the rules for writing them.

Nothing outside this package writes an entry. Two rules keep a stale value out:

* a value loaded from the database is stored only if no change was forgotten while it loaded
  (the cache's `generation` moves on every forget);
* an update of an entry (`replace_api_key`) lands only if the entry is still the very object that
  was read and the generation has not moved since: compare-and-set.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Hashable, Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

from cachetools import TTLCache

from app.authstate.changes import AuthChange, ChangeKind
from app.core.access_tokens import AccessClaims
from app.core.identity import ApiKeySnapshot, SessionState, UserSnapshot
from app.core.metrics import CacheCounters

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

_CLAIMS = CacheCounters("claims")
_USERS = CacheCounters("users")
_SESSIONS = CacheCounters("sessions")
_API_KEYS = CacheCounters("api_keys")


@dataclass(frozen=True, slots=True)
class Read(Generic[V]):
    """A value and the cache generation it was read at (for a later compare-and-set)."""

    value: V
    generation: int


class AuthCache:
    def __init__(self, *, size: int, ttl: float) -> None:
        self._claims: TTLCache[str, AccessClaims] = TTLCache(maxsize=size, ttl=ttl)
        self._users: TTLCache[uuid.UUID, UserSnapshot | None] = TTLCache(maxsize=size, ttl=ttl)
        self._sessions: TTLCache[uuid.UUID, SessionState | None] = TTLCache(maxsize=size, ttl=ttl)
        self._api_keys: TTLCache[str, ApiKeySnapshot] = TTLCache(maxsize=size, ttl=ttl)
        self._generation = 0

    @property
    def generation(self) -> int:
        return self._generation

    # --- access-token claims: a pure function of the token's text, never stale ---------------
    def claims(self, token: str) -> AccessClaims | None:
        claims = self._claims.get(token)
        (_CLAIMS.miss if claims is None else _CLAIMS.hit)()
        return claims

    def remember_claims(self, token: str, claims: AccessClaims) -> None:
        self._claims[token] = claims

    # --- read-through lookups ------------------------------------------------------------------
    async def user(
        self, user_id: uuid.UUID, load: Callable[[uuid.UUID], Awaitable[UserSnapshot | None]]
    ) -> UserSnapshot | None:
        return (await self._through(self._users, user_id, load, remember_none=True, counters=_USERS)).value

    async def session(
        self, session_id: uuid.UUID, load: Callable[[uuid.UUID], Awaitable[SessionState | None]]
    ) -> SessionState | None:
        return (await self._through(self._sessions, session_id, load, remember_none=True, counters=_SESSIONS)).value

    async def api_key(
        self, digest: str, load: Callable[[str], Awaitable[ApiKeySnapshot | None]]
    ) -> Read[ApiKeySnapshot | None]:
        # Unknown keys are not remembered: anyone can make up well-formed keys, and they must not
        # push real ones out of the cache.
        return await self._through(self._api_keys, digest, load, remember_none=False, counters=_API_KEYS)

    async def _through(
        self,
        cache: TTLCache[K, V] | TTLCache[K, V | None],
        key: K,
        load: Callable[[K], Awaitable[V | None]],
        *,
        remember_none: bool,
        counters: CacheCounters,
    ) -> Read[V | None]:
        generation = self._generation
        try:
            found = Read(cache[key], generation)
        except KeyError:
            pass
        else:
            counters.hit()
            return found
        counters.miss()
        value = await load(key)
        if generation == self._generation and (value is not None or remember_none):
            cache[key] = value  # type: ignore[assignment]
        return Read(value, generation)

    # --- compare-and-set ---------------------------------------------------------------------
    def replace_api_key(self, digest: str, *, expected: ApiKeySnapshot, read_at: int, value: ApiKeySnapshot) -> bool:
        """Store `value` for `digest` only if the entry is still `expected`, read at generation
        `read_at`, and nothing was forgotten since. Returns whether it was stored."""
        if self._generation != read_at or self._api_keys.get(digest) is not expected:
            return False
        self._api_keys[digest] = value
        return True

    # --- forgetting ----------------------------------------------------------------------------
    def forget(self, changes: Iterable[AuthChange]) -> None:
        for change in changes:
            self._generation += 1
            subject = change.subject
            if change.kind is ChangeKind.USER:
                self._users.pop(subject, None)
                self._forget_sessions_of(subject)
                self._forget_keys([digest for digest, key in self._api_keys.items() if key.user_id == subject])
            elif change.kind is ChangeKind.USER_SESSIONS:
                self._forget_sessions_of(subject)
            elif change.kind is ChangeKind.SESSION:
                self._sessions.pop(subject, None)
            elif change.kind is ChangeKind.API_KEY:
                self._forget_keys([digest for digest, key in self._api_keys.items() if key.id == subject])

    def clear(self) -> None:
        self._generation += 1
        for cache in (self._users, self._sessions, self._api_keys):
            cache.clear()

    def _forget_sessions_of(self, user_id: uuid.UUID) -> None:
        for session_id in [s for s, state in self._sessions.items() if state is None or state.user_id == user_id]:
            self._sessions.pop(session_id, None)

    def _forget_keys(self, digests: list[str]) -> None:
        for digest in digests:
            self._api_keys.pop(digest, None)
