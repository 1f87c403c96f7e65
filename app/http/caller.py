"""Resolve the caller of a request from its credentials.

Every protected route depends on `get_caller` (directly, or through `RoleChecker`). A request
proves who it is with a bearer access token or with an `X-API-Key` header, never both: a request
carrying both is refused rather than resolved by a precedence rule nobody remembers. The user,
and the state of the token's session or of the key, are checked on each request through the
worker's auth state (`app.authstate`), so a demotion, deactivation, logout or revocation applies
whatever tokens or keys the user still holds.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, OAuth2PasswordBearer

from app.authstate.errors import AmbiguousCredentials, ApiKeyNotAllowed
from app.core.errors import InvalidToken, NotAuthenticated
from app.core.identity import Caller, Credential, UserSnapshot
from app.http.mfa_policy import apply_mfa_policy
from app.http.services import get_services

TOKEN_URL = "auth/jwt/login"
API_KEY_HEADER = "X-API-Key"

api_key_scheme = APIKeyHeader(
    name=API_KEY_HEADER,
    scheme_name="APIKeyHeader",
    description="An API key from POST /api-keys. Do not send it together with a bearer token.",
    auto_error=False,
)


class CallerFromCredentials(OAuth2PasswordBearer):
    """The caller of a request, from its bearer token or its `X-API-Key`, in one dependency.

    It is the bearer security scheme itself (so /docs offers the password-flow login), and reads
    the API key header directly instead of through a second security dependency: every
    dependency costs a resolution step on every request, and this one runs on all of them. The
    API key scheme is added to the OpenAPI document beside the bearer one by
    `app.http.openapi.document_openapi`.
    """

    async def __call__(self, request: Request) -> Caller:  # type: ignore[override]
        headers = request.headers
        token = bearer_token(headers.get("authorization"))
        api_key = headers.get(API_KEY_HEADER)
        if token and api_key:
            raise AmbiguousCredentials()
        authenticator = get_services(request).authenticator
        if api_key:
            return await authenticator.by_api_key(api_key)
        if not token:
            raise NotAuthenticated(
                "Authentication required: send 'Authorization: Bearer <access token>' or 'X-API-Key: <key>'."
            )
        return apply_mfa_policy(await authenticator.by_access_token(token), request)


class CallerFromAccessToken(OAuth2PasswordBearer):
    """The caller of a request from its bearer access token alone (an `X-API-Key` is not read)."""

    async def __call__(self, request: Request) -> Caller:  # type: ignore[override]
        token = bearer_token(request.headers.get("authorization"))
        if not token:
            raise InvalidToken()
        return await get_services(request).authenticator.by_access_token(token)


def bearer_token(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


get_caller = CallerFromCredentials(tokenUrl=TOKEN_URL, scheme_name="OAuth2PasswordBearer", auto_error=False)
get_access_token_caller = CallerFromAccessToken(
    tokenUrl=TOKEN_URL, scheme_name="OAuth2PasswordBearer", auto_error=False
)

CurrentCaller = Annotated[Caller, Depends(get_caller)]
# Routes that act on the session of the token itself (logout).
AccessTokenCaller = Annotated[Caller, Depends(get_access_token_caller)]


async def get_current_user(caller: CurrentCaller) -> UserSnapshot:
    return caller.user


CurrentUser = Annotated[UserSnapshot, Depends(get_current_user)]


async def get_logged_in_caller(caller: CurrentCaller) -> Caller:
    """The caller, when they proved who they are by logging in rather than with an API key.
    Guards what would let a key outgrow its cap, such as changing the password."""
    if caller.credential is not Credential.ACCESS_TOKEN:
        raise ApiKeyNotAllowed()
    return caller


LoggedInCaller = Annotated[Caller, Depends(get_logged_in_caller)]
