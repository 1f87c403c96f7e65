"""`POST /auth/jwt/mfa`: the second step of a login whose password step answered 403 MFA_REQUIRED.

A form (`application/x-www-form-urlencoded`, like the password step) with the `mfa_token` and
either `otp` (a code of the authenticator app) or `recovery_code`. A completed login clears the
account's failed-login streak, starts a session whose tokens carry `amr` `["pwd", "otp"]` or
`["pwd", "mfa"]`, and answers in the login's shape. Rate-limited per client (MFA_RATE_LIMIT).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form
from fastapi.responses import JSONResponse

from app.audit.dependencies import ClientInfoDep
from app.auth.adapter import PasswordLoginDep
from app.auth.errors import InvalidTokenRequest
from app.auth.login import PasswordLogin, succeeded
from app.auth.schemas import TokenResponse
from app.core.identity import ClientInfo
from app.core.metrics import MFA_LOGIN
from app.http.responses import NO_STORE
from app.http.responses_doc import error_responses
from app.mfa.dependencies import MfaServiceDep
from app.mfa.errors import MfaLoginCodeInvalid, MfaTokenInvalid
from app.mfa.service import MfaService

MFA_ROUTE = "auth:jwt.mfa"
FormText = Annotated[str | None, Form(max_length=8192)]

router = APIRouter()


@router.post(
    "/mfa",
    name=MFA_ROUTE,
    operation_id="login_mfa",
    summary="Complete a login with a second factor",
    response_model=TokenResponse,
    responses=error_responses(MfaLoginCodeInvalid, MfaTokenInvalid, InvalidTokenRequest),
)
async def login_second_factor(
    login: PasswordLoginDep,
    mfa: MfaServiceDep,
    client: ClientInfoDep,
    mfa_token: FormText = None,
    otp: FormText = None,
    recovery_code: FormText = None,
) -> Any:
    """Complete a login with the `mfa_token` of its password step and a code. A wrong code ->
    400 MFA_CODE_INVALID (five kill the token, and each counts toward the account's lockout); a
    dead, expired or reused token -> 400 MFA_TOKEN_INVALID."""
    tokens = await second_factor_grant(
        login=login, mfa=mfa, client=client, mfa_token=mfa_token, otp=otp, recovery_code=recovery_code
    )
    return JSONResponse(tokens.model_dump(), headers=NO_STORE)


async def second_factor_grant(
    *,
    login: PasswordLogin,
    mfa: MfaService,
    client: ClientInfo,
    mfa_token: str | None,
    otp: str | None,
    recovery_code: str | None,
) -> TokenResponse:
    """The second step (also `POST /auth/token` with the MFA grant): the login's tokens."""
    if not mfa_token:
        raise InvalidTokenRequest("mfa_token is required.")
    if not otp and not recovery_code:
        raise InvalidTokenRequest("otp or recovery_code is required.")
    try:
        done = await mfa.redeem(mfa_token=mfa_token, otp=otp, recovery_code=recovery_code)
    except MfaLoginCodeInvalid:
        MFA_LOGIN["code_invalid"].inc()
        raise
    except MfaTokenInvalid:
        MFA_LOGIN["token_invalid"].inc()
        raise
    await login.lockouts.clear(email=done.user.email)  # only a completed login resets the streak
    method = "otp" if "otp" in done.amr else "recovery_code"
    record = succeeded(done.user.id, mfa_method=method)  # mfa.succeeded and login.succeeded, with the session
    grant = await login.sessions.start(
        user_id=done.user.id, client=client, amr=done.amr, role=done.user.role, record=record
    )
    MFA_LOGIN["succeeded"].inc()
    return login.tokens_for(grant)
