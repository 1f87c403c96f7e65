"""Authenticate an access token: the request hot path.

A token is checked once per worker (signature and claims with python-jose), then recognised by
its text until it expires. The user and the token's session come from `AuthState`'s caches,
which the database fills on a miss and auth events empty on a change. So an authenticated
request costs a few dictionary look-ups, and a logout, demotion or deactivation still applies
to the next request (see `app.auth.state` for the exact guarantee across workers).
"""

from __future__ import annotations

import time
import uuid

from sqlalchemy import select

from app.auth.caller import Caller, Credential
from app.auth.errors import InvalidToken
from app.auth.state import AuthState, SessionState, UserSnapshot
from app.auth.tokens import AccessClaims, AccessTokenCodec
from app.sessions.models import AuthSession
from app.users.models import User


class Authenticator:
    def __init__(self, *, codec: AccessTokenCodec, state: AuthState) -> None:
        self.codec = codec
        self.state = state
        self.cache = state.cache

    async def by_access_token(self, token: str) -> Caller:
        claims = self.claims(token)
        if claims.session_id is None:  # every issued access token names its session
            raise InvalidToken()
        await self.state.ensure_fresh()
        user = await self.user(claims.user_id)
        if user is None or not user.is_active:
            raise InvalidToken()
        session = await self.session(claims.session_id)
        if session is None or not session.active or session.user_id != user.id:
            raise InvalidToken()
        return Caller(
            user=user,
            role=user.role,
            credential=Credential.ACCESS_TOKEN,
            token_id=claims.token_id,
            session_id=claims.session_id,
        )

    def claims(self, token: str) -> AccessClaims:
        claims = self.cache.claims.get(token)
        if claims is None:
            claims = self.codec.decode(token)
            self.cache.claims[token] = claims
        if claims.expires_at <= time.time():
            raise InvalidToken()
        return claims

    async def user(self, user_id: uuid.UUID) -> UserSnapshot | None:
        async def load() -> UserSnapshot | None:
            async with self.state.database.sessionmaker() as db:
                user = await db.get(User, user_id)
                return UserSnapshot.of(user) if user is not None else None

        return await self.cache.user(user_id, load)

    async def session(self, session_id: uuid.UUID) -> SessionState | None:
        # Only revocation matters here, not `expires_at`: that is the refresh tokens' lifetime,
        # and an access token lives out its own short `exp`.
        async def load() -> SessionState | None:
            async with self.state.database.sessionmaker() as db:
                row = (
                    await db.execute(
                        select(AuthSession.user_id, AuthSession.revoked_at).where(AuthSession.id == session_id)
                    )
                ).first()
            return None if row is None else SessionState(user_id=row.user_id, active=row.revoked_at is None)

        return await self.cache.session(session_id, load)
