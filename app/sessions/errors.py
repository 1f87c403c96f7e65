"""Errors of the sessions domain."""

from __future__ import annotations

from app.core.errors import DomainError, NotFound


class SessionNotFound(NotFound):
    code = "SESSION_NOT_FOUND"
    message = "You have no active session with this id."


class InvalidGrant(DomainError):
    """Any refresh token that cannot be exchanged: unknown, expired, revoked, already used, or
    its user deactivated. One answer for all (RFC 6749 5.2), so it tells an attacker nothing."""

    status_code = 400
    code = "INVALID_REFRESH_TOKEN"
    message = "The refresh token is invalid, expired, revoked or already used; log in again."
    oauth_error = "invalid_grant"
