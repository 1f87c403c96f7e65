"""The fastapi-users login backend: a bearer transport and a session-bound JWT strategy.

fastapi-users provides the routes (login, logout, register, password reset, verification);
Gatehouse plugs in its own strategy, because fastapi-users' JWT strategy writes no `iat`/`jti`,
has no refresh tokens and cannot revoke, and its own backend, because the login answer carries
`expires_in` and a refresh token and must not be cached.

Each login starts a session (`app.sessions`): the access token names it in `sid`, and the
refresh token continues it. Authenticating an access token checks its signature and claims,
then that its user is active and its session not ended; logout ends the session.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Request, Response, status
from fastapi.responses import JSONResponse
from fastapi_users import BaseUserManager, FastAPIUsers
from fastapi_users.authentication import AuthenticationBackend, BearerTransport, Strategy
from fastapi_users.openapi import OpenAPIResponseType
from pydantic import BaseModel

from app.auth.authenticator import Authenticator
from app.auth.errors import InvalidToken
from app.auth.tokens import AccessTokenCodec
from app.sessions.dependencies import ClientInfoDep, SessionServiceDep
from app.sessions.service import ClientInfo, Grant, RevokedReason, SessionService
from app.users.manager import get_user_manager
from app.users.models import User

TOKEN_URL = "auth/jwt/login"
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int
    refresh_token: str


class AccessTokenStrategy(Strategy[User, uuid.UUID]):
    def __init__(
        self,
        *,
        codec: AccessTokenCodec,
        authenticator: Authenticator,
        sessions: SessionService,
        client: ClientInfo,
    ) -> None:
        self.codec = codec
        self.authenticator = authenticator
        self.sessions = sessions
        self.client = client

    async def login(self, user: User) -> TokenResponse:
        return self._tokens(await self.sessions.start(user=user, client=self.client))

    async def refresh(self, refresh_token: str) -> TokenResponse:
        return self._tokens(await self.sessions.refresh(refresh_token=refresh_token, client=self.client))

    def _tokens(self, grant: Grant) -> TokenResponse:
        issued = self.codec.issue(user_id=grant.user_id, session_id=grant.session_id)
        return TokenResponse(access_token=issued.token, expires_in=issued.expires_in, refresh_token=grant.refresh_token)

    # fastapi-users' Strategy protocol
    async def read_token(self, token: str | None, user_manager: BaseUserManager[User, uuid.UUID]) -> User | None:
        if token is None:
            return None
        try:
            caller = await self.authenticator.by_access_token(token)
        except InvalidToken:
            return None
        return await user_manager.user_db.get(caller.id)

    async def write_token(self, user: User) -> str:
        return (await self.login(user)).access_token

    async def destroy_token(self, token: str, user: User) -> None:
        """Logout: end the token's session, so its access tokens and refresh tokens stop working."""
        session_id = self.authenticator.claims(token).session_id  # verified by read_token just before
        if session_id is not None:
            await self.sessions.end(session_id=session_id, reason=RevokedReason.LOGOUT)


async def get_token_codec(request: Request) -> AccessTokenCodec:
    codec: AccessTokenCodec = request.app.state.token_codec
    return codec


TokenCodecDep = Annotated[AccessTokenCodec, Depends(get_token_codec)]


async def get_access_token_strategy(
    request: Request, codec: TokenCodecDep, sessions: SessionServiceDep, client: ClientInfoDep
) -> AccessTokenStrategy:
    authenticator: Authenticator = request.app.state.authenticator
    return AccessTokenStrategy(codec=codec, authenticator=authenticator, sessions=sessions, client=client)


AccessTokenStrategyDep = Annotated[AccessTokenStrategy, Depends(get_access_token_strategy)]


class GatehouseBearerTransport(BearerTransport):
    @staticmethod
    def get_openapi_login_responses_success() -> OpenAPIResponseType:
        return {status.HTTP_200_OK: {"model": TokenResponse}}


class GatehouseBackend(AuthenticationBackend[User, uuid.UUID]):
    async def login(self, strategy: Strategy[User, uuid.UUID], user: User) -> Response:
        assert isinstance(strategy, AccessTokenStrategy)
        body = await strategy.login(user)
        return JSONResponse(body.model_dump(), headers=NO_STORE)


bearer_transport = GatehouseBearerTransport(tokenUrl=TOKEN_URL)
auth_backend = GatehouseBackend(name="jwt", transport=bearer_transport, get_strategy=get_access_token_strategy)
fastapi_users = FastAPIUsers[User, uuid.UUID](get_user_manager, [auth_backend])
