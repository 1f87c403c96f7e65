"""`/auth/jwt/refresh` (RFC 6749 section 6) and `/auth/jwt/revoke` (RFC 7009).

Both take `application/x-www-form-urlencoded` bodies, as OAuth2 clients send them. Errors follow
RFC 6749 5.2: 400 with `error` set to `invalid_request`, `unsupported_grant_type` or
`invalid_grant`.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Response, status
from fastapi.responses import JSONResponse

from app.auth.backend import NO_STORE, AccessTokenStrategyDep, TokenResponse
from app.auth.errors import InvalidGrant, InvalidToken, InvalidTokenRequest, UnsupportedGrantType
from app.sessions.dependencies import SessionServiceDep
from app.sessions.service import RevokedReason
from app.sessions.tokens import is_well_formed

REFRESH_GRANT = "refresh_token"
# Form values longer than any token are refused before any work.
FormText = Annotated[str | None, Form(max_length=8192)]

router = APIRouter()


def _oauth_error(error: str, example: type[Any]) -> dict[str, Any]:
    return {"summary": example.message, "value": {"detail": example.code, "message": example.message, "error": error}}


@router.post(
    "/refresh",
    response_model=TokenResponse,
    responses={
        status.HTTP_400_BAD_REQUEST: {
            "description": "The refresh token cannot be exchanged, or the request is malformed.",
            "content": {
                "application/json": {
                    "examples": {
                        "invalid_grant": _oauth_error("invalid_grant", InvalidGrant),
                        "unsupported_grant_type": _oauth_error("unsupported_grant_type", UnsupportedGrantType),
                        "invalid_request": _oauth_error("invalid_request", InvalidTokenRequest),
                    }
                }
            },
        }
    },
)
async def refresh(strategy: AccessTokenStrategyDep, grant_type: FormText = None, refresh_token: FormText = None) -> Any:
    """Exchange a refresh token for a new access token and a new refresh token. The presented
    refresh token is spent; presenting it again later ends the whole session."""
    if not grant_type:
        raise InvalidTokenRequest("grant_type is required (grant_type=refresh_token).")
    if grant_type != REFRESH_GRANT:
        raise UnsupportedGrantType()
    if not refresh_token:
        raise InvalidTokenRequest("refresh_token is required.")
    tokens = await strategy.refresh(refresh_token)
    return JSONResponse(tokens.model_dump(), headers=NO_STORE)


@router.post("/revoke", status_code=status.HTTP_200_OK, response_class=Response)
async def revoke(
    strategy: AccessTokenStrategyDep,
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
            caller = await strategy.authenticator.by_access_token(token)
        except InvalidToken:
            return Response(status_code=status.HTTP_200_OK)
        if caller.session_id is not None:
            await sessions.end(session_id=caller.session_id, reason=RevokedReason.LOGOUT)
    return Response(status_code=status.HTTP_200_OK)
