"""Authenticate an access token or an API key: the request hot path.

An access token is checked once per worker (signature and claims with python-jose), then
recognised by its text until it expires. The user and the token's session come from `AuthState`,
which the database fills on a miss and auth changes empty. So an authenticated request costs a few
dictionary look-ups, and a logout, demotion or deactivation still applies to the next request.

An API key costs the same: a shape and checksum test in memory, one HMAC-SHA256 (remembered per
key text), and the same look-ups. Its `last_used_at` is written at most once per key per
`LAST_USED_RESOLUTION`, by the injected `record_use` (a conditional UPDATE, so when several
workers race only one changes the row); the cached copy is then updated by compare-and-set, so a
revocation that lands meanwhile is never overwritten by the copy read before it.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime, timedelta

from cachetools import TTLCache

from app.authstate.errors import ApiKeyExpired, ApiKeyMalformed, ApiKeyOwnerInactive, ApiKeyRevoked, ApiKeyUnknown
from app.authstate.state import AuthState
from app.config import Settings
from app.core.access_tokens import AccessClaims, AccessTokenCodec
from app.core.api_key_format import is_well_formed
from app.core.errors import InvalidToken
from app.core.identity import ApiKeySnapshot, Caller, Credential
from app.core.roles import lesser_role
from app.core.secrets import KeyedHasher
from app.db.base import utcnow

LAST_USED_RESOLUTION = timedelta(minutes=1)

# Writes `last_used_at = now` for the key unless the row already holds a recent one.
RecordUse = Callable[[ApiKeySnapshot, datetime], Awaitable[bool]]


class Authenticator:
    def __init__(
        self,
        *,
        settings: Settings,
        state: AuthState,
        codec: AccessTokenCodec,
        api_key_hasher: KeyedHasher,
        record_api_key_use: RecordUse,
    ) -> None:
        self.state = state
        self.codec = codec
        self._api_key_hasher = api_key_hasher
        self._record_use = record_api_key_use
        # Keys this worker has already recognised, and their digests: a script calling again
        # skips the checksum and the HMAC. Only well-formed keys get in, and it is bounded.
        self._digests: TTLCache[str, str] = TTLCache(
            maxsize=settings.auth_cache_size, ttl=settings.auth_cache_ttl_seconds
        )

    # --- access tokens ------------------------------------------------------------------------
    def claims(self, token: str) -> AccessClaims:
        """The verified claims of an unexpired access token, or `InvalidToken`."""
        claims = self.state.claims(token)
        if claims is None:
            claims = self.codec.decode(token)
            self.state.remember_claims(token, claims)
        if self.codec.is_expired(claims, now=time.time()):
            raise InvalidToken()
        return claims

    async def by_access_token(self, token: str) -> Caller:
        claims = self.claims(token)
        if claims.session_id is None:  # every issued access token names its session
            raise InvalidToken()
        holder = await self.state.token_holder(user_id=claims.user_id, session_id=claims.session_id)
        user, session = holder.user, holder.session
        if user is None or not user.is_active:
            raise InvalidToken()
        # Only revocation matters here, not the session's `expires_at`: that is the refresh
        # tokens' lifetime, and an access token lives out its own short `exp`.
        if session is None or not session.active or session.user_id != user.id:
            raise InvalidToken()
        return Caller(
            user=user,
            role=user.role,
            credential=Credential.ACCESS_TOKEN,
            token_id=claims.token_id,
            session_id=claims.session_id,
            amr=claims.amr,
        )

    # --- API keys -----------------------------------------------------------------------------
    def api_key_digest(self, key: str) -> str:
        """The keyed hash the database stores for `key`, or `ApiKeyMalformed`."""
        digest = self._digests.get(key)
        if digest is None:
            if not is_well_formed(key):
                raise ApiKeyMalformed()
            digest = self._digests[key] = self._api_key_hasher.digest(key)
        return digest

    async def by_api_key(self, key: str, *, record_use: bool = True) -> Caller:
        """The caller of a live key, or the `NotAuthenticated` error that says why not.
        `record_use=False`: the key is only looked at (introspection), not used."""
        digest = self.api_key_digest(key)
        holder = await self.state.key_holder(digest)
        api_key, user = holder.api_key.value, holder.user
        if api_key is None:
            raise ApiKeyUnknown()
        now = utcnow()
        if api_key.revoked_at is not None:
            raise ApiKeyRevoked()
        if api_key.expires_at is not None and api_key.expires_at <= now:
            raise ApiKeyExpired()
        if user is None or not user.is_active:
            raise ApiKeyOwnerInactive()
        stale = api_key.last_used_at is None or api_key.last_used_at <= now - LAST_USED_RESOLUTION
        if record_use and stale and await self._record_use(api_key, now):
            # Whether this worker or another wrote it, the row is now at most a resolution old.
            self.state.touch_api_key(digest, expected=holder.api_key, value=replace(api_key, last_used_at=now))
        return Caller(
            user=user,
            role=lesser_role(user.role, api_key.role),
            credential=Credential.API_KEY,
            api_key_id=api_key.id,
            api_key_expires_at=api_key.expires_at,
        )
