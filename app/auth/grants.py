"""The OAuth2 grants Gatehouse issues tokens for, and the refresh grant shared by its two routes.

`POST /auth/token` takes all three; `POST /auth/jwt/login` is the password grant,
`POST /auth/jwt/refresh` the refresh grant and `POST /auth/jwt/mfa` the second-factor grant.
"""

from __future__ import annotations

from app.auth.errors import InvalidTokenRequest
from app.auth.login import PasswordLogin
from app.auth.schemas import TokenResponse
from app.core.identity import ClientInfo
from app.sessions.service import SessionService

PASSWORD_GRANT = "password"
REFRESH_GRANT = "refresh_token"
# The second step of a login whose password step answered MFA_REQUIRED (an extension grant,
# RFC 6749 4.5, named by an absolute URI as the RFC asks).
MFA_OTP_GRANT = "urn:gatehouse:params:oauth:grant-type:mfa-otp"
GRANT_TYPES = (PASSWORD_GRANT, REFRESH_GRANT, MFA_OTP_GRANT)


async def refresh_grant(
    *, login: PasswordLogin, sessions: SessionService, client: ClientInfo, refresh_token: str | None
) -> TokenResponse:
    """RFC 6749 section 6: the presented refresh token is spent, new tokens are issued."""
    if not refresh_token:
        raise InvalidTokenRequest("refresh_token is required.")
    return login.tokens_for(await sessions.refresh(refresh_token=refresh_token, client=client))
