"""Domain errors: what a service raises when a request cannot be carried out.

Services raise a `DomainError` subclass; they never build HTTP responses. Each subclass fixes a
status code and a stable machine-readable `code` that clients may switch on. The body is
`{"detail": code, "message": text}`, plus `error` and `error_description` where OAuth2 (RFC 6749 5.2)
defines an error code (OAuth2 clients and Swagger UI show `error_description`).
The HTTP layer (`app.http.errors`) turns them into answers, in one place.
"""

from __future__ import annotations

from typing import Any, ClassVar

BEARER_CHALLENGE = {"WWW-Authenticate": "Bearer"}


class DomainError(Exception):
    status_code: ClassVar[int] = 400
    code: ClassVar[str] = "BAD_REQUEST"
    message: ClassVar[str] = "The request cannot be carried out."
    oauth_error: ClassVar[str | None] = None

    def __init__(self, message: str | None = None, *, headers: dict[str, str] | None = None) -> None:
        self.detail_message = message or self.message
        self.headers = headers or {}
        super().__init__(self.detail_message)

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"detail": self.code, "message": self.detail_message}
        if self.oauth_error:
            body["error"] = self.oauth_error
            body["error_description"] = self.detail_message
        return body


class NotAuthenticated(DomainError):
    status_code = 401
    code = "NOT_AUTHENTICATED"
    message = "Missing, malformed, expired or revoked credentials."

    def __init__(self, message: str | None = None, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(message, headers={**BEARER_CHALLENGE, **(headers or {})})


class Forbidden(DomainError):
    status_code = 403
    code = "FORBIDDEN"
    message = "Your role does not allow this."


class NotFound(DomainError):
    status_code = 404
    code = "NOT_FOUND"
    message = "No such resource."


class Conflict(DomainError):
    status_code = 409
    code = "CONFLICT"
    message = "The request conflicts with the current state."


class MalformedBody(DomainError):
    """The body cannot be decoded at all: not UTF-8 JSON, or a broken form."""

    code = "MALFORMED_BODY"
    message = "The request body cannot be decoded: send UTF-8 JSON, or a well-formed form."


class InvalidToken(NotAuthenticated):
    code = "INVALID_TOKEN"
    message = "The access token is missing, malformed, expired, revoked or not an access token."


class ServiceBusy(DomainError):
    """More work is waiting than the worker takes on; the client retries after `Retry-After`."""

    status_code = 503
    code = "SERVICE_BUSY"
    message = "The service is busy; retry after the time in the Retry-After header."
    oauth_error = "temporarily_unavailable"

    def __init__(self, message: str | None = None, *, retry_after: int = 1) -> None:
        super().__init__(message, headers={"Retry-After": str(max(1, retry_after))})


class DatabaseUnavailable(ServiceBusy):
    code = "DATABASE_UNAVAILABLE"
    message = "The database does not answer; retry after the time in the Retry-After header."
