"""`POST /auth/token`: the one token endpoint (RFC 6749 section 3.2) for standard OAuth2 clients.

A form with `grant_type`:

* `password` (`username` = email, `password`): the login of `POST /auth/jwt/login`, through
  fastapi-users' manager and Gatehouse's backend (`app.auth.adapter.password_grant`), with the
  same lockout and answers; counted in the login's per-client bucket (LOGIN_RATE_LIMIT), so the
  two routes together allow what one does;
* `refresh_token` (`refresh_token`): the exchange of `POST /auth/jwt/refresh`, not counted
  against the login limit;
* `urn:gatehouse:params:oauth:grant-type:mfa-otp` (`mfa_token` and `otp` or `recovery_code`): the
  second step of `POST /auth/jwt/mfa`, counted in its bucket (MFA_RATE_LIMIT).

Clients are public (`token_endpoint_auth_methods_supported: ["none"]`): a `client_id` in the body
is ignored, and so is HTTP Basic with an empty secret (Swagger UI and requests-oauthlib send
one); Basic with a secret is 401 `invalid_client`, since no secret would be checked. `scope` is
ignored: what a token may do follows from its user's role. Errors follow RFC 6749 5.2: `error`,
`error_description`, and Gatehouse's code in `detail`.
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse

from app.audit.dependencies import ClientInfoDep
from app.auth.adapter import (
    LOGIN_ROUTE,
    AccessTokenStrategyDep,
    PasswordLoginDep,
    UserManagerDep,
    password_grant,
)
from app.auth.errors import (
    InvalidClient,
    InvalidCredentials,
    InvalidTokenRequest,
    UnsupportedGrantType,
    UserNotVerified,
)
from app.auth.grants import GRANT_TYPES, MFA_OTP_GRANT, PASSWORD_GRANT, REFRESH_GRANT, refresh_grant
from app.auth.mfa_login import MFA_ROUTE, second_factor_grant
from app.auth.schemas import TokenResponse
from app.http.ratelimit import count_against
from app.http.responses import NO_STORE
from app.http.responses_doc import MFA_REQUIRED, error_responses
from app.mfa.dependencies import MfaServiceDep
from app.mfa.errors import MfaLoginCodeInvalid, MfaTokenInvalid
from app.ratelimit.errors import RateLimited
from app.sessions.dependencies import SessionServiceDep
from app.sessions.errors import InvalidGrant

TOKEN_ROUTE = "auth:token"
FormText = Annotated[str | None, Form(max_length=8192)]
UNSUPPORTED = f"grant_type must be one of: {', '.join(GRANT_TYPES)}."

router = APIRouter()


@router.post(
    "/token",
    name=TOKEN_ROUTE,
    operation_id="token",
    summary="Get tokens (password, refresh_token or second-factor grant)",
    response_model=TokenResponse,
    responses=error_responses(
        InvalidTokenRequest,
        UnsupportedGrantType,
        InvalidCredentials,
        UserNotVerified,
        InvalidGrant,
        MfaLoginCodeInvalid,
        MfaTokenInvalid,
        MFA_REQUIRED,
        InvalidClient,
        RateLimited,
    ),
)
async def token(
    request: Request,
    manager: UserManagerDep,
    strategy: AccessTokenStrategyDep,
    login: PasswordLoginDep,
    sessions: SessionServiceDep,
    mfa: MfaServiceDep,
    client: ClientInfoDep,
    grant_type: FormText = None,
    username: FormText = None,
    password: FormText = None,
    refresh_token: FormText = None,
    mfa_token: FormText = None,
    otp: FormText = None,
    recovery_code: FormText = None,
    scope: FormText = None,
    client_id: FormText = None,
) -> Any:
    """The token endpoint of the metadata document (`/.well-known/oauth-authorization-server`).
    Answers in the login's shape, `Cache-Control: no-store`. A missing `grant_type` or a missing
    parameter of the grant -> 400 `invalid_request`; another grant -> 400 `unsupported_grant_type`;
    wrong credentials, a spent refresh token or a wrong code -> 400 `invalid_grant`. The password
    grant counts in the per-client login limit shared with `POST /auth/jwt/login` (429)."""
    _check_client_authentication(request.headers.get("authorization"))
    if not grant_type:
        raise InvalidTokenRequest(f"grant_type is required; {UNSUPPORTED}")
    if grant_type == PASSWORD_GRANT:
        await count_against(LOGIN_ROUTE, request)
        if not username or not password:
            raise InvalidTokenRequest("username (the email) and password are required.")
        return await password_grant(
            request=request, manager=manager, strategy=strategy, username=username, password=password
        )
    if grant_type == REFRESH_GRANT:
        tokens = await refresh_grant(login=login, sessions=sessions, client=client, refresh_token=refresh_token)
    elif grant_type == MFA_OTP_GRANT:
        await count_against(MFA_ROUTE, request)
        tokens = await second_factor_grant(
            login=login, mfa=mfa, client=client, mfa_token=mfa_token, otp=otp, recovery_code=recovery_code
        )
    else:
        raise UnsupportedGrantType(UNSUPPORTED)
    return JSONResponse(tokens.model_dump(), headers=NO_STORE)


def _check_client_authentication(authorization: str | None) -> None:
    """Public clients only: HTTP Basic with an empty secret (or none at all) is no client
    authentication and is ignored; a secret cannot be checked and is refused. Other schemes
    (a stale `Bearer`) are ignored: the grant's own parameters authenticate the request."""
    if not authorization:
        return
    scheme, _, credentials = authorization.partition(" ")
    if scheme.lower() != "basic":
        return
    try:
        decoded = base64.b64decode(credentials.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as error:
        raise InvalidClient("The HTTP Basic credentials cannot be decoded.") from error
    _, _, secret = decoded.partition(":")
    if secret:
        raise InvalidClient()
