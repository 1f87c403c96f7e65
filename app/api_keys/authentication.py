"""Authenticate a request by its `X-API-Key` header.

The cost is that of a JWT check: a shape and checksum test in memory, one HMAC-SHA256, and
look-ups in the worker's auth caches (`app.auth.state`), which the database fills on a miss by
the unique index on the hash. The look-up compares digests an attacker cannot steer, so its
timing reveals nothing about stored keys. Revoking a key, or changing its owner, records an auth
event, so the change applies to the next request (see `app.auth.state` for the guarantee across
workers); expiry is checked on every request.

`last_used_at` is written at most once per key per `LAST_USED_RESOLUTION`: only when the copy in
memory is older than that, and then with a conditional UPDATE, so when several workers race only
one of them changes the row. The write uses its own short session, and its failure is only
logged.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Annotated

from cachetools import TTLCache
from fastapi import Depends, Request
from fastapi.security import APIKeyHeader
from sqlalchemy import or_, select, update
from sqlalchemy.exc import SQLAlchemyError

from app.api_keys.errors import ApiKeyExpired, ApiKeyMalformed, ApiKeyOwnerInactive, ApiKeyRevoked, ApiKeyUnknown
from app.api_keys.keys import ApiKeyHasher, is_well_formed
from app.api_keys.models import ApiKey
from app.auth.authenticator import Authenticator
from app.auth.caller import Caller, Credential
from app.config import Settings
from app.db.base import utcnow
from app.rbac.roles import Role, lesser_role

logger = logging.getLogger(__name__)

API_KEY_HEADER = "X-API-Key"
LAST_USED_RESOLUTION = timedelta(minutes=1)

api_key_scheme = APIKeyHeader(
    name=API_KEY_HEADER,
    scheme_name="APIKeyHeader",
    description="An API key from POST /api-keys. Do not send it together with a bearer token.",
    auto_error=False,
)


@dataclass(frozen=True, slots=True)
class ApiKeySnapshot:
    id: uuid.UUID
    user_id: uuid.UUID
    role: Role
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None


class ApiKeyAuthenticator:
    def __init__(self, *, settings: Settings, authenticator: Authenticator) -> None:
        self.hasher = ApiKeyHasher(settings)
        self.authenticator = authenticator
        self.state = authenticator.state
        # Keys this worker has already recognised, and their digests: a script calling again
        # skips the checksum and the HMAC. Only well-formed keys get in, and it is bounded.
        self._digests: TTLCache[str, str] = TTLCache(
            maxsize=settings.auth_cache_size, ttl=settings.auth_cache_ttl_seconds
        )

    async def authenticate(self, *, key: str) -> Caller:
        digest = self._digests.get(key)
        if digest is None:
            if not is_well_formed(key):
                raise ApiKeyMalformed()
            digest = self._digests[key] = self.hasher.digest(key)
        await self.state.ensure_fresh()
        api_key = await self.state.cache.api_key(digest, lambda: self._load(digest))
        if api_key is None:
            raise ApiKeyUnknown()
        now = utcnow()
        if api_key.revoked_at is not None:
            raise ApiKeyRevoked()
        if api_key.expires_at is not None and api_key.expires_at <= now:
            raise ApiKeyExpired()
        user = await self.authenticator.user(api_key.user_id)
        if user is None or not user.is_active:
            raise ApiKeyOwnerInactive()
        if api_key.last_used_at is None or api_key.last_used_at <= now - LAST_USED_RESOLUTION:
            await self._record_use(digest, api_key, now)
        return Caller(
            user=user,
            role=lesser_role(user.role, api_key.role),
            credential=Credential.API_KEY,
            api_key_id=api_key.id,
        )

    async def _load(self, digest: str) -> ApiKeySnapshot | None:
        async with self.state.database.sessionmaker() as db:
            row = await db.scalar(select(ApiKey).where(ApiKey.key_hash == digest))
        if row is None:
            return None
        return ApiKeySnapshot(
            id=row.id,
            user_id=row.user_id,
            role=row.role,
            expires_at=row.expires_at,
            revoked_at=row.revoked_at,
            last_used_at=row.last_used_at,
        )

    async def _record_use(self, digest: str, api_key: ApiKeySnapshot, now: datetime) -> None:
        stale_before = now - LAST_USED_RESOLUTION
        statement = (
            update(ApiKey)
            .where(
                ApiKey.id == api_key.id,
                or_(ApiKey.last_used_at.is_(None), ApiKey.last_used_at <= stale_before),
            )
            .values(last_used_at=now)
            .execution_options(synchronize_session=False)
        )
        try:
            async with self.state.database.sessionmaker() as db:
                await db.execute(statement)
                await db.commit()
        except SQLAlchemyError:
            logger.warning("could not record the use of api key id=%s", api_key.id, exc_info=True)
            return
        # Whether this worker or another wrote it, the row is now at most a resolution old.
        if digest in self.state.cache.api_keys:
            self.state.cache.api_keys[digest] = replace(api_key, last_used_at=now)


async def get_api_key_authenticator(request: Request) -> ApiKeyAuthenticator:
    authenticator: ApiKeyAuthenticator = request.app.state.api_keys
    return authenticator


ApiKeyAuthenticatorDep = Annotated[ApiKeyAuthenticator, Depends(get_api_key_authenticator)]
