"""Errors of the second factor: enrolment, confirmation, login with a code."""

from __future__ import annotations

from typing import Any

from app.core.errors import Conflict, DomainError


class MfaAlreadyEnabled(Conflict):
    code = "MFA_ALREADY_ENABLED"
    message = "A second factor is already enabled; disable it before enrolling a new one."


class MfaNotEnrolled(Conflict):
    code = "MFA_NOT_ENROLLED"
    message = "There is no pending factor to confirm: enrol with POST /users/me/mfa/totp first."


class MfaNotEnabled(Conflict):
    code = "MFA_NOT_ENABLED"
    message = "No second factor is enabled on this account."


class MfaCodeInvalid(DomainError):
    status_code = 400
    code = "MFA_CODE_INVALID"
    message = "The code is wrong, expired or already used."


class MfaLoginCodeInvalid(MfaCodeInvalid):
    """A wrong code at `/auth/jwt/mfa`: an OAuth2 `invalid_grant`."""

    oauth_error = "invalid_grant"


class MfaTokenInvalid(DomainError):
    status_code = 400
    code = "MFA_TOKEN_INVALID"
    message = "The mfa_token is unknown, expired, already used or no longer valid: log in again."
    oauth_error = "invalid_grant"


class MfaRequired(DomainError):
    """The password was right and the account has a second factor: the login continues at
    `POST /auth/jwt/mfa` with this `mfa_token` (no tokens yet)."""

    status_code = 403
    code = "MFA_REQUIRED"
    message = "A second factor is required: POST /auth/jwt/mfa with mfa_token and otp or recovery_code."
    oauth_error = "mfa_required"

    def __init__(self, mfa_token: str = "", expires_in: int = 300) -> None:
        super().__init__()
        self.mfa_token = mfa_token
        self.expires_in = expires_in

    def body(self) -> dict[str, Any]:
        return {
            **super().body(),
            "mfa_token": self.mfa_token,
            "expires_in": self.expires_in,
        }
