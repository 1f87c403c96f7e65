"""Errors of the rate-limit domain."""

from __future__ import annotations

from app.core.errors import DomainError


class RateLimited(DomainError):
    status_code = 429
    code = "RATE_LIMITED"
    message = "Too many requests from your address; retry after the time in the Retry-After header."
    oauth_error = "rate_limited"
