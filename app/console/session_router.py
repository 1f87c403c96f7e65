"""`/console/session*`: the console's sign-in, kept in an HttpOnly cookie.

The pages keep the access token in memory only; the refresh token lives in a cookie no script can
read (`app.console.cookies`). Each route runs the same code as its `/auth/jwt/*` twin:

* `POST /console/session`: the password step, through fastapi-users' user manager and
  `app.auth.login.PasswordLogin` (lockout, verified-email rule, the 403 MFA_REQUIRED challenge),
  counted against LOGIN_RATE_LIMIT together with `POST /auth/jwt/login`;
* `POST /console/session/mfa`: the second step, `app.auth.mfa_login`, counted with
  `POST /auth/jwt/mfa` against MFA_RATE_LIMIT;
* `POST /console/session/refresh`: the refresh token of the cookie exchanged (rotated) for a new
  access token, or 204 when the browser holds no live console session;
* `POST /console/session/logout`: the cookie's session ended and the cookie cleared.

Every one of them is guarded against cross-site requests (`app.console.csrf`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request, Response, status
from fastapi.responses import JSONResponse
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel

from app.audit.dependencies import ClientInfoDep
from app.auth.adapter import LOGIN_ROUTE, PasswordLoginDep, UserManager, get_user_manager
from app.auth.errors import InvalidCredentials, InvalidTokenRequest
from app.auth.mfa_login import MFA_ROUTE, login_second_factor
from app.auth.schemas import TokenResponse
from app.console.cookies import clear_refresh_cookie, refresh_token_of, set_refresh_cookie
from app.console.csrf import require_console_request
from app.console.errors import ConsoleRequestRefused
from app.http.ratelimit import count_against
from app.http.responses import NO_STORE
from app.http.responses_doc import error_responses
from app.http.services import ServicesDep
from app.mfa.dependencies import MfaServiceDep
from app.mfa.errors import MfaLoginCodeInvalid, MfaTokenInvalid
from app.ratelimit.errors import RateLimited
from app.sessions.dependencies import SessionServiceDep
from app.sessions.errors import InvalidGrant

FormText = Annotated[str | None, Form(max_length=8192)]
UserManagerDep = Annotated[UserManager, Depends(get_user_manager)]


class ConsoleTokens(BaseModel):
    """An access token for the page to keep in memory; the refresh token went into the cookie."""

    access_token: str
    token_type: str = "bearer"
    expires_in: int


def counted_as(route_name: str) -> Callable[[Request], Coroutine[Any, Any, None]]:
    """Count the request against another route's limit, on that route's counter: the console's
    sign-in gives a client no more attempts than the API's."""

    async def enforce(request: Request) -> None:
        await count_against(route_name, request)

    return enforce


router = APIRouter(prefix="/console/session", tags=["console"], dependencies=[Depends(require_console_request)])


def _signed_in(request: Request, services: ServicesDep, tokens: TokenResponse) -> JSONResponse:
    body = ConsoleTokens(access_token=tokens.access_token, expires_in=tokens.expires_in)
    response = JSONResponse(body.model_dump(), headers=NO_STORE)
    set_refresh_cookie(response, request=request, settings=services.settings, refresh_token=tokens.refresh_token)
    return response


@router.post(
    "",
    name="console:session.login",
    operation_id="console_sign_in",
    summary="Console sign-in, the password step",
    response_model=ConsoleTokens,
    dependencies=[Depends(counted_as(LOGIN_ROUTE))],
    responses=error_responses(RateLimited, ConsoleRequestRefused),  # the login's own: SERVICE_ERRORS
)
async def sign_in(
    request: Request,
    services: ServicesDep,
    credentials: Annotated[OAuth2PasswordRequestForm, Depends()],
    manager: UserManagerDep,
    login: PasswordLoginDep,
    client: ClientInfoDep,
) -> Any:
    """The password step of the console's sign-in (OAuth2 password form: `username` = email,
    `password`). 200: the access token, and the refresh token in the HttpOnly cookie. An account
    with a second factor answers 403 MFA_REQUIRED with an `mfa_token` for `POST
    /console/session/mfa`; the rest is exactly `POST /auth/jwt/login`'s."""
    user = await manager.authenticate(credentials)
    if user is None or not user.is_active:
        raise InvalidCredentials()
    return _signed_in(request, services, await login.start_session(user=user, client=client))


@router.post(
    "/mfa",
    name="console:session.mfa",
    operation_id="console_sign_in_second_factor",
    summary="Console sign-in, the second factor",
    response_model=ConsoleTokens,
    dependencies=[Depends(counted_as(MFA_ROUTE))],
    responses=error_responses(
        MfaLoginCodeInvalid, MfaTokenInvalid, InvalidTokenRequest, RateLimited, ConsoleRequestRefused
    ),
)
async def sign_in_second_factor(
    request: Request,
    services: ServicesDep,
    login: PasswordLoginDep,
    mfa: MfaServiceDep,
    client: ClientInfoDep,
    mfa_token: FormText = None,
    otp: FormText = None,
    recovery_code: FormText = None,
) -> Any:
    """The second step: `mfa_token` of the password step with `otp` or `recovery_code`, as
    `POST /auth/jwt/mfa` takes them; 200 as the password step's."""
    answer = await login_second_factor(
        login=login, mfa=mfa, client=client, mfa_token=mfa_token, otp=otp, recovery_code=recovery_code
    )
    tokens = TokenResponse.model_validate(json.loads(bytes(answer.body)))
    return _signed_in(request, services, tokens)


@router.post(
    "/refresh",
    name="console:session.refresh",
    operation_id="console_refresh",
    summary="Console access token from the refresh cookie",
    response_model=ConsoleTokens,
    responses={
        status.HTTP_204_NO_CONTENT: {"description": "The browser holds no live console session: sign in."},
        **error_responses(ConsoleRequestRefused),
    },
)
async def refresh(
    request: Request, services: ServicesDep, sessions: SessionServiceDep, login: PasswordLoginDep, client: ClientInfoDep
) -> Any:
    """A new access token from the cookie's refresh token, which is rotated (the cookie gets the
    new one). No cookie, or a session that has ended: 204 and the cookie cleared."""
    refresh_token = refresh_token_of(request)
    if refresh_token is not None:
        try:
            grant = await sessions.refresh(refresh_token=refresh_token, client=client)
        except InvalidGrant:
            pass
        else:
            return _signed_in(request, services, login.tokens_for(grant))
    response = Response(status_code=status.HTTP_204_NO_CONTENT, headers=NO_STORE)
    if refresh_token is not None:
        clear_refresh_cookie(response, request=request, settings=services.settings)
    return response


@router.post(
    "/logout",
    name="console:session.logout",
    operation_id="console_sign_out",
    summary="Console sign-out",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=error_responses(ConsoleRequestRefused),
)
async def sign_out(request: Request, services: ServicesDep, sessions: SessionServiceDep) -> Response:
    """End the cookie's session (its access and refresh tokens stop working) and clear the
    cookie; 204 whether or not there was one."""
    refresh_token = refresh_token_of(request)
    if refresh_token is not None:
        await sessions.end_by_refresh_token(refresh_token=refresh_token)
    response = Response(status_code=status.HTTP_204_NO_CONTENT, headers=NO_STORE)
    clear_refresh_cookie(response, request=request, settings=services.settings)
    return response
