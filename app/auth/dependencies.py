"""Resolve the caller of a request from its credentials.

Every protected route depends on `get_caller` (directly, or through `RoleChecker`). A request
proves who it is with a bearer access token or with an `X-API-Key` header, never both: a request
carrying both is refused rather than resolved by a precedence rule nobody remembers. The user,
and the state of the token's session or of the key, are checked on each request through the
worker's auth caches (`app.auth.state`), so a demotion, deactivation, logout or revocation
applies whatever tokens or keys the user still holds.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer

from app.api_keys.authentication import API_KEY_HEADER, ApiKeyAuthenticator
from app.api_keys.errors import AmbiguousCredentials, ApiKeyNotAllowed
from app.auth.authenticator import Authenticator
from app.auth.backend import TOKEN_URL
from app.auth.caller import Caller, Credential
from app.auth.state import UserSnapshot
from app.db.session import SessionDep
from app.errors import NotAuthenticated
from app.users.models import User


class CallerFromCredentials(OAuth2PasswordBearer):
    """The caller of a request, from its bearer token or its `X-API-Key`, in one dependency.

    It is the bearer security scheme itself (so /docs offers the password-flow login), and reads
    the API key header directly instead of through a second security dependency: every
    dependency costs a resolution step on every request, and this one runs on all of them. The
    API key scheme is added to the OpenAPI document beside the bearer one by
    `app.auth.openapi.with_api_key_scheme`.
    """

    async def __call__(self, request: Request) -> Caller:  # type: ignore[override]
        headers = request.headers
        token = _bearer_token(headers.get("authorization"))
        api_key = headers.get(API_KEY_HEADER)
        if token and api_key:
            raise AmbiguousCredentials()
        if api_key:
            api_keys: ApiKeyAuthenticator = request.app.state.api_keys
            return await api_keys.authenticate(key=api_key)
        if not token:
            raise NotAuthenticated(
                "Authentication required: send 'Authorization: Bearer <access token>' or 'X-API-Key: <key>'."
            )
        authenticator: Authenticator = request.app.state.authenticator
        return await authenticator.by_access_token(token)


def _bearer_token(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


get_caller = CallerFromCredentials(tokenUrl=TOKEN_URL, scheme_name="OAuth2PasswordBearer", auto_error=False)

CurrentCaller = Annotated[Caller, Depends(get_caller)]


async def get_current_user(caller: CurrentCaller) -> UserSnapshot:
    return caller.user


CurrentUser = Annotated[UserSnapshot, Depends(get_current_user)]


async def get_logged_in_user(caller: CurrentCaller, db: SessionDep) -> User:
    """The caller's account row, when they proved who they are by logging in rather than with an
    API key. Guards what would let a key outgrow its cap, such as changing the password."""
    if caller.credential is not Credential.ACCESS_TOKEN:
        raise ApiKeyNotAllowed()
    user = await db.get(User, caller.id)
    if user is None:  # deleted since the request was authenticated
        raise NotAuthenticated()
    return user


LoggedInUser = Annotated[User, Depends(get_logged_in_user)]
