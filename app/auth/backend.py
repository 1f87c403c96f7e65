"""The fastapi-users login backend: a bearer transport and a JWT strategy on python-jose.

fastapi-users provides the routes (login, logout, register, password reset, verification);
Gatehouse plugs in its own strategy, because fastapi-users' JWT strategy writes no `iat`/`jti`
and cannot revoke, and its own backend, because the login answer carries `expires_in` and must
not be cached.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Request, Response
from fastapi.responses import JSONResponse
from fastapi_users import BaseUserManager, FastAPIUsers
from fastapi_users.authentication import AuthenticationBackend, BearerTransport, Strategy
from pydantic import BaseModel

from app.auth.errors import InvalidToken
from app.auth.tokens import AccessTokenCodec
from app.users.manager import get_user_manager
from app.users.models import User

TOKEN_URL = "auth/jwt/login"
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int


class AccessTokenStrategy(Strategy[User, uuid.UUID]):
    def __init__(self, codec: AccessTokenCodec) -> None:
        self.codec = codec

    async def read_token(self, token: str | None, user_manager: BaseUserManager[User, uuid.UUID]) -> User | None:
        if token is None:
            return None
        try:
            claims = self.codec.decode(token)
        except InvalidToken:
            return None
        user = await user_manager.user_db.get(claims.user_id)
        return user if user is not None and user.is_active else None

    async def write_token(self, user: User) -> str:
        return self.codec.issue(user_id=user.id).token

    async def destroy_token(self, token: str, user: User) -> None:
        return None


def get_token_codec(request: Request) -> AccessTokenCodec:
    codec: AccessTokenCodec = request.app.state.token_codec
    return codec


TokenCodecDep = Annotated[AccessTokenCodec, Depends(get_token_codec)]


def get_access_token_strategy(codec: TokenCodecDep) -> AccessTokenStrategy:
    return AccessTokenStrategy(codec)


class GatehouseBackend(AuthenticationBackend[User, uuid.UUID]):
    async def login(self, strategy: Strategy[User, uuid.UUID], user: User) -> Response:
        assert isinstance(strategy, AccessTokenStrategy)
        issued = strategy.codec.issue(user_id=user.id)
        body = TokenResponse(access_token=issued.token, expires_in=issued.expires_in)
        return JSONResponse(body.model_dump(), headers=NO_STORE)


bearer_transport = BearerTransport(tokenUrl=TOKEN_URL)
auth_backend = GatehouseBackend(name="jwt", transport=bearer_transport, get_strategy=get_access_token_strategy)
fastapi_users = FastAPIUsers[User, uuid.UUID](get_user_manager, [auth_backend])
