"""Errors of the login routes (OAuth2's error codes, RFC 6749 5.2, in `error`)."""

from __future__ import annotations

from app.core.errors import DomainError


class InvalidCredentials(DomainError):
    """Wrong email, wrong password or inactive account: one answer for all (RFC 6749 5.2)."""

    status_code = 400
    code = "LOGIN_BAD_CREDENTIALS"
    message = "Incorrect email or password."
    oauth_error = "invalid_grant"


class UserNotVerified(DomainError):
    """REQUIRE_VERIFIED_EMAIL: the password is right, but the address is not verified yet."""

    status_code = 400
    code = "LOGIN_USER_NOT_VERIFIED"  # fastapi-users' code
    message = "Verify your email address first: follow the link in the verification mail."
    oauth_error = "invalid_grant"


class UnsupportedGrantType(DomainError):
    status_code = 400
    code = "UNSUPPORTED_GRANT_TYPE"
    message = "This endpoint takes grant_type=refresh_token."
    oauth_error = "unsupported_grant_type"


class InvalidTokenRequest(DomainError):
    """A required form field of a token request is missing (RFC 6749 5.2 `invalid_request`)."""

    status_code = 400
    code = "INVALID_TOKEN_REQUEST"
    message = "The request is missing a required parameter."
    oauth_error = "invalid_request"


class InvalidClient(DomainError):
    """HTTP Basic client credentials with a secret: Gatehouse has public clients only (RFC 6749 5.2)."""

    status_code = 401
    code = "INVALID_CLIENT"
    message = "Gatehouse has no client secrets: send no Authorization header, or one with empty credentials."
    oauth_error = "invalid_client"

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message, headers={"WWW-Authenticate": 'Basic realm="gatehouse"'})
