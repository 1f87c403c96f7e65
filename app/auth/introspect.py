"""`POST /auth/introspect`: RFC 7662 token introspection, for resource servers.

Another service asks whether a token is live now and whose it is. The caller authenticates with an
API key (or a bearer access token) whose role holds `tokens:introspect` (admins by default, see
`app.core.roles`); without it, 403. The form's `token` may be an access token, a refresh token or
an API key (recognised by its shape; `token_type_hint` is accepted and not needed). A live one
answers `{"active": true, "token_type", "sub", "username", "role", ...}` with the role the user has
*now*, read from the same auth state every request of Gatehouse reads, so a logout, a demotion, a
deactivation or a revoked key shows at once. Anything else (revoked, expired, spent, unknown,
malformed) answers `{"active": false}` and nothing more, never an error. Never cached.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from app.auth.errors import InvalidTokenRequest
from app.container import Services
from app.core import api_key_format
from app.core.errors import NotAuthenticated
from app.core.identity import Caller
from app.core.roles import Permission
from app.http.rbac import require
from app.http.responses import NO_STORE
from app.http.responses_doc import error_responses
from app.http.services import ServicesDep
from app.sessions import tokens as refresh_tokens
from app.sessions.dependencies import SessionServiceDep
from app.sessions.service import SessionService

# No token Gatehouse issues is longer; a longer text is simply not a live token.
MAX_TOKEN_LENGTH = 8192
INACTIVE = {"active": False}

Introspector = Annotated[Caller, require(Permission.TOKENS_INTROSPECT)]
router = APIRouter()


class Introspection(BaseModel):
    """RFC 7662 section 2.2. Only `active` is present when it is false."""

    model_config = ConfigDict(title="Introspection")

    active: bool
    token_type: str | None = Field(default=None, description="`access_token`, `refresh_token` or `api_key`.")
    sub: str | None = Field(default=None, description="The user's id.")
    username: str | None = Field(default=None, description="The user's email.")
    role: str | None = Field(default=None, description="The role it acts with now (an API key's is capped).")
    exp: int | None = None
    iat: int | None = None
    sid: str | None = Field(default=None, description="The login session (access and refresh tokens).")
    amr: list[str] | None = Field(default=None, description="How the session's login authenticated (RFC 8176).")
    jti: str | None = None
    iss: str | None = None
    aud: str | None = None
    key_id: str | None = Field(default=None, description="The API key's id.")


@router.post(
    "/introspect",
    operation_id="introspect_token",
    summary="Introspect a token (RFC 7662)",
    response_model=Introspection,
    response_model_exclude_none=True,
    responses=error_responses(InvalidTokenRequest),
)
async def introspect(
    _: Introspector,
    services: ServicesDep,
    sessions: SessionServiceDep,
    token: Annotated[str | None, Form()] = None,
    token_type_hint: Annotated[str | None, Form(max_length=64)] = None,
) -> Any:
    """Whether `token` (an access token, a refresh token or an API key) is live now, and whose.
    `{"active": false}` for anything that is not; 400 `invalid_request` without a `token`."""
    if not token:
        raise InvalidTokenRequest("token is required.")
    answer = await _inspect(token, services=services, sessions=sessions) if len(token) <= MAX_TOKEN_LENGTH else None
    return JSONResponse(answer or INACTIVE, headers=NO_STORE)


async def _inspect(token: str, *, services: Services, sessions: SessionService) -> dict[str, Any] | None:
    authenticator = services.authenticator
    if refresh_tokens.is_well_formed(token):
        live = await sessions.inspect(refresh_token=token)
        user = await services.auth.user(live.user_id) if live is not None else None
        if live is None or user is None or not user.is_active:
            return None
        return {
            "active": True,
            "token_type": "refresh_token",
            "sub": str(user.id),
            "username": user.email,
            "role": str(user.role),
            "exp": int(live.expires_at.timestamp()),
            "iat": int(live.issued_at.timestamp()),
            "sid": str(live.session_id),
            "amr": list(live.amr),
        }
    try:
        if api_key_format.is_well_formed(token):
            caller = await authenticator.by_api_key(token, record_use=False)
            expires = caller.api_key_expires_at
            return {
                "active": True,
                "token_type": "api_key",
                "sub": str(caller.id),
                "username": caller.user.email,
                "role": str(caller.role),
                "key_id": str(caller.api_key_id),
                **({"exp": int(expires.timestamp())} if expires is not None else {}),
            }
        caller = await authenticator.by_access_token(token)
        claims = authenticator.claims(token)
    except NotAuthenticated:
        return None
    codec = services.access_tokens
    return {
        "active": True,
        "token_type": "access_token",
        "sub": str(caller.id),
        "username": caller.user.email,
        "role": str(caller.role),
        "exp": claims.expires_at,
        "iat": claims.issued_at,
        "sid": str(claims.session_id),
        "amr": list(claims.amr),
        "jti": claims.token_id,
        "iss": codec.issuer,
        "aud": codec.audience,
    }
