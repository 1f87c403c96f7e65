"""Authenticate a request by its `X-API-Key` header.

The cost is that of a JWT check: a shape and checksum test in memory, one HMAC-SHA256, and one
look-up by the unique index on the hash (the same single query a token check makes for its
user). The look-up compares digests an attacker cannot steer, so its timing reveals nothing
about stored keys. Owner and key are read on every request, so revocation, expiry, deactivation
and demotion apply to the very next request on every worker.

`last_used_at` is written at most once per key per `LAST_USED_RESOLUTION`: only when the row just
read is older than that, and then with a conditional UPDATE, so when several workers race only
one of them changes the row. The write goes through its own short session, so its failure only
gets logged and never touches the request's session. Before it, the request's read-only
transaction is ended, so a request never holds two pooled connections at once: a burst of
requests waiting for a second connection while holding the first could exhaust the pool.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader
from sqlalchemy import or_, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from app.api_keys.errors import ApiKeyExpired, ApiKeyMalformed, ApiKeyOwnerInactive, ApiKeyRevoked, ApiKeyUnknown
from app.api_keys.keys import ApiKeyHasher, is_well_formed
from app.api_keys.models import ApiKey
from app.auth.caller import Caller, Credential
from app.config import Settings
from app.db.base import utcnow
from app.db.engine import Database
from app.rbac.roles import lesser_role
from app.users.models import User

logger = logging.getLogger(__name__)

API_KEY_HEADER = "X-API-Key"
LAST_USED_RESOLUTION = timedelta(minutes=1)

api_key_scheme = APIKeyHeader(
    name=API_KEY_HEADER,
    scheme_name="APIKeyHeader",
    description="An API key from POST /api-keys. Do not send it together with a bearer token.",
    auto_error=False,
)
ApiKeyHeaderValue = Annotated[str | None, Depends(api_key_scheme)]


class ApiKeyAuthenticator:
    def __init__(self, *, settings: Settings, database: Database) -> None:
        self.hasher = ApiKeyHasher(settings)
        self.database = database

    async def authenticate(self, *, session: AsyncSession, key: str) -> Caller:
        if not is_well_formed(key):
            raise ApiKeyMalformed()
        digest = self.hasher.digest(key)
        row = (
            await session.execute(
                select(ApiKey, User).join(User, ApiKey.user_id == User.id).where(ApiKey.key_hash == digest)
            )
        ).first()
        if row is None:
            raise ApiKeyUnknown()
        api_key, user = row
        now = utcnow()
        if api_key.revoked_at is not None:
            raise ApiKeyRevoked()
        if api_key.expires_at is not None and api_key.expires_at <= now:
            raise ApiKeyExpired()
        if not user.is_active:
            raise ApiKeyOwnerInactive()
        await self._record_use(session, api_key, now)
        return Caller(
            user=user,
            role=lesser_role(user.role, api_key.role),
            credential=Credential.API_KEY,
            api_key_id=api_key.id,
        )

    async def _record_use(self, request_session: AsyncSession, api_key: ApiKey, now: datetime) -> None:
        stale_before = now - LAST_USED_RESOLUTION
        if api_key.last_used_at is not None and api_key.last_used_at > stale_before:
            return
        if request_session.new or request_session.dirty or request_session.deleted:
            return  # not ours to commit; the next request records the use
        await request_session.commit()  # only ends the look-up's read; loaded rows stay loaded
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
            async with self.database.sessionmaker() as session:
                await session.execute(statement)
                await session.commit()
        except SQLAlchemyError:
            logger.warning("could not record the use of api key id=%s", api_key.id, exc_info=True)
            return
        # Keep the request's copy current (for a listing in the same request) without marking it dirty.
        set_committed_value(api_key, "last_used_at", now)


def get_api_key_authenticator(request: Request) -> ApiKeyAuthenticator:
    authenticator: ApiKeyAuthenticator = request.app.state.api_keys
    return authenticator


ApiKeyAuthenticatorDep = Annotated[ApiKeyAuthenticator, Depends(get_api_key_authenticator)]
