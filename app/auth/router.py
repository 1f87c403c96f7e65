"""`/auth/*`: fastapi-users' routes for login, registration, password reset and email
verification (`app.auth.adapter`), and Gatehouse's own logout, refresh (RFC 6749 section 6) and
revocation (RFC 7009) routes.

Login, registration and the two routes that send mail are rate-limited per client: the limits
are registered by route name (`auth_rate_limits`) and applied by the router's dependency, so
fastapi-users' routers are used as they are. Refresh and revocation take
`application/x-www-form-urlencoded` bodies, as OAuth2 clients send them; their errors follow
RFC 6749 5.2: 400 with `error` set to `invalid_request`, `unsupported_grant_type` or
`invalid_grant`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Response, status
from fastapi.responses import JSONResponse

from app.audit.dependencies import ClientInfoDep
from app.auth.adapter import (
    FORGOT_PASSWORD_ROUTE,
    LOGIN_ROUTE,
    REGISTER_ROUTE,
    REQUEST_VERIFY_ROUTE,
    PasswordLoginDep,
    fastapi_users_routers,
)
from app.auth.errors import InvalidTokenRequest, UnsupportedGrantType
from app.auth.grants import REFRESH_GRANT, refresh_grant
from app.auth.introspect import router as introspect_router
from app.auth.mfa_login import MFA_ROUTE
from app.auth.mfa_login import router as mfa_login_router
from app.auth.schemas import TokenResponse
from app.auth.token import router as token_router
from app.config import Settings
from app.core.errors import DomainError, InvalidToken
from app.core.metrics import LOGIN
from app.http.caller import AccessTokenCaller
from app.http.ratelimit import enforce_rate_limit
from app.http.responses import NO_STORE
from app.http.services import ServicesDep
from app.sessions.dependencies import SessionServiceDep
from app.sessions.errors import InvalidGrant
from app.sessions.service import RevokedReason
from app.sessions.tokens import is_well_formed
from app.users.dependencies import UserServiceDep
from app.users.schemas import EmailChangeConfirm, UserRead

# Form values longer than any token are refused before any work.
FormText = Annotated[str | None, Form(max_length=8192)]

router = APIRouter(prefix="/auth", tags=["auth"], dependencies=[Depends(enforce_rate_limit)])
login_router, accounts_router = fastapi_users_routers()
jwt_router = APIRouter()  # Gatehouse's own routes beside fastapi-users' login, under /auth/jwt


def auth_rate_limits(settings: Settings) -> dict[str, str]:
    """Route name -> per-client limit. Each route counts on its own."""
    return {
        LOGIN_ROUTE: settings.login_rate_limit,
        REGISTER_ROUTE: settings.register_rate_limit,
        FORGOT_PASSWORD_ROUTE: settings.recovery_rate_limit,
        REQUEST_VERIFY_ROUTE: settings.recovery_rate_limit,
        MFA_ROUTE: settings.mfa_rate_limit,
    }


def auth_rate_limit_refusals() -> dict[str, Callable[[], None]]:
    """Route name -> what else a refusal by its limit counts: a refused password login is a login outcome."""
    return {LOGIN_ROUTE: LOGIN["rate_limited"].inc}


@jwt_router.post(
    "/logout",
    summary="Log out (end this token's session)",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={status.HTTP_401_UNAUTHORIZED: {"description": "Missing, invalid or revoked access token."}},
)
async def logout(caller: AccessTokenCaller, sessions: SessionServiceDep) -> None:
    """End the session of the access token making this request: its access tokens and its
    refresh token stop working."""
    if caller.session_id is not None:
        await sessions.end(session_id=caller.session_id, reason=RevokedReason.LOGOUT)


def _oauth_error(example: type[DomainError]) -> dict[str, Any]:
    return {"summary": example.message, "value": example().body()}


@jwt_router.post(
    "/refresh",
    operation_id="refresh_token",
    summary="Exchange a refresh token for new tokens",
    response_model=TokenResponse,
    responses={
        status.HTTP_400_BAD_REQUEST: {
            "description": "The refresh token cannot be exchanged, or the request is malformed.",
            "content": {
                "application/json": {
                    "examples": {
                        "invalid_grant": _oauth_error(InvalidGrant),
                        "unsupported_grant_type": _oauth_error(UnsupportedGrantType),
                        "invalid_request": _oauth_error(InvalidTokenRequest),
                    }
                }
            },
        }
    },
)
async def refresh(
    login: PasswordLoginDep,
    sessions: SessionServiceDep,
    client: ClientInfoDep,
    grant_type: FormText = None,
    refresh_token: FormText = None,
) -> Any:
    """Exchange a refresh token for a new access token and a new refresh token. The presented
    refresh token is spent; presenting it again later ends the whole session."""
    if not grant_type:
        raise InvalidTokenRequest("grant_type is required (grant_type=refresh_token).")
    if grant_type != REFRESH_GRANT:
        raise UnsupportedGrantType()
    tokens = await refresh_grant(login=login, sessions=sessions, client=client, refresh_token=refresh_token)
    return JSONResponse(tokens.model_dump(), headers=NO_STORE)


@jwt_router.post(
    "/revoke",
    operation_id="revoke_token",
    summary="Revoke a refresh or access token (RFC 7009)",
    status_code=status.HTTP_200_OK,
    response_class=Response,
)
async def revoke(
    services: ServicesDep,
    sessions: SessionServiceDep,
    token: FormText = None,
    token_type_hint: FormText = None,
) -> Response:
    """End the session of a refresh token or an access token (RFC 7009), without needing a valid
    access token: the way to log out once the access token has expired. Answers 200 whether or
    not the token was valid, as the RFC asks."""
    if not token:
        raise InvalidTokenRequest("token is required.")
    if is_well_formed(token):
        await sessions.end_by_refresh_token(refresh_token=token)
    else:
        try:
            caller = await services.authenticator.by_access_token(token)
        except InvalidToken:
            return Response(status_code=status.HTTP_200_OK)
        if caller.session_id is not None:
            await sessions.end(session_id=caller.session_id, reason=RevokedReason.LOGOUT, via="revoke")
    return Response(status_code=status.HTTP_200_OK)


@router.post("/confirm-email-change", summary="Confirm a new email address", response_model=UserRead)
async def confirm_email_change(data: EmailChangeConfirm, users: UserServiceDep) -> Any:
    """Apply the email change whose link was mailed to the new address: 200 with the account, now
    verified at its new address. A used, expired or bad token -> 400 `EMAIL_CHANGE_BAD_TOKEN`; an
    address taken since the request -> 400 `UPDATE_USER_EMAIL_ALREADY_EXISTS`."""
    return UserRead.model_validate(await users.confirm_email_change(token=data.token))


router.include_router(token_router)
router.include_router(introspect_router)
router.include_router(login_router, prefix="/jwt")
router.include_router(jwt_router, prefix="/jwt")
router.include_router(mfa_login_router, prefix="/jwt")
router.include_router(accounts_router)
