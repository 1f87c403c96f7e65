"""Resolve the caller of a request from its credentials.

Every protected route depends on `get_caller` (directly, or through `RoleChecker`). The user is
read from the database on each request, and so is the state of the token's session, so a
demotion, deactivation or logout applies to the very next request, whatever tokens the user still
holds.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from fastapi.security import OAuth2PasswordBearer

from app.auth.backend import TOKEN_URL, AccessTokenStrategyDep
from app.auth.caller import Caller, Credential
from app.errors import NotAuthenticated
from app.users.models import User

bearer_scheme = OAuth2PasswordBearer(tokenUrl=TOKEN_URL, auto_error=False)
BearerToken = Annotated[str | None, Depends(bearer_scheme)]


async def get_caller(strategy: AccessTokenStrategyDep, token: BearerToken) -> Caller:
    if not token:
        raise NotAuthenticated("Authentication required: send 'Authorization: Bearer <access token>'.")
    user, claims = await strategy.authenticate(token)
    return Caller(
        user=user,
        role=user.role,
        credential=Credential.ACCESS_TOKEN,
        token_id=claims.token_id,
        session_id=claims.session_id,
    )


CurrentCaller = Annotated[Caller, Depends(get_caller)]


async def get_current_user(caller: CurrentCaller) -> User:
    return caller.user


CurrentUser = Annotated[User, Depends(get_current_user)]
