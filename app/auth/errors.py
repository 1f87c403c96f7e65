"""Errors of the authentication domain."""

from __future__ import annotations

from app.errors import DomainError, NotAuthenticated


class InvalidCredentials(DomainError):
    """Wrong email, wrong password or inactive account: one answer for all (RFC 6749 5.2)."""

    status_code = 400
    code = "LOGIN_BAD_CREDENTIALS"
    message = "Incorrect email or password."
    oauth_error = "invalid_grant"


class InvalidToken(NotAuthenticated):
    code = "INVALID_TOKEN"
    message = "The access token is missing, malformed, expired, revoked or not an access token."
