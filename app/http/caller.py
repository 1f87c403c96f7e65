"""Resolve the caller of a request from its credentials.

Every protected route depends on `get_caller` (directly, or through `RoleChecker`). A request
proves who it is with a bearer access token or with an `X-API-Key` header, normally not both: a request
carrying both (as /docs sends once both schemes are authorised) is served as the access token's
caller when both credentials are valid and belong to the same user, and refused with 400
AMBIGUOUS_CREDENTIALS when they belong to two users, rather than resolved by a precedence rule. The user,
and the state of the token's session or of the key, are checked on each request through the
worker's auth state (`app.authstate`), so a demotion, deactivation, logout or revocation applies
whatever tokens or keys the user still holds.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, OAuth2PasswordBearer

from app.authstate.authenticator import Authenticator
from app.authstate.errors import AmbiguousCredentials, ApiKeyNotAllowed
from app.core.errors import InvalidToken, NotAuthenticated
from app.core.identity import Caller, Credential, UserSnapshot
from app.http.mfa_policy import apply_mfa_policy
from app.http.services import get_services

# The password flow of /docs logs in at the token endpoint (made absolute with PUBLIC_URL by
# `app.http.openapi`); relative, it resolves against the docs page.
TOKEN_URL = "auth/token"
API_KEY_HEADER = "X-API-Key"

api_key_scheme = APIKeyHeader(
    name=API_KEY_HEADER,
    scheme_name="APIKeyHeader",
    description=(
        "An API key from POST /api-keys. Sent together with a bearer token, both must be valid and of the "
        "same user (the token is then the caller), else 400 AMBIGUOUS_CREDENTIALS."
    ),
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
        authenticator = get_services(request).authenticator
        if token and api_key:
            return await _one_of_both(authenticator, token=token, api_key=api_key, request=request)
        if api_key:
            return await authenticator.by_api_key(api_key)
        if not token:
            raise NotAuthenticated(
                "Authentication required: send 'Authorization: Bearer <access token>' or 'X-API-Key: <key>'."
            )
        return apply_mfa_policy(await authenticator.by_access_token(token), request)


async def _one_of_both(authenticator: Authenticator, *, token: str, api_key: str, request: Request) -> Caller:
    """A request with a bearer token and an API key (as /docs sends once both schemes are
    authorised): each must authenticate on its own; of the same user, the access token is the
    caller (the key, capped at most at that user's role, adds nothing); of two users, the request
    is refused with 400 AMBIGUOUS_CREDENTIALS rather than resolved by a precedence rule."""
    by_token = apply_mfa_policy(await authenticator.by_access_token(token), request)
    by_key = await authenticator.by_api_key(api_key)
    if by_key.id != by_token.id:
        raise AmbiguousCredentials()
    return by_token


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
