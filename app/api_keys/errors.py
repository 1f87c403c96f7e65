"""Errors of the API key domain (the refusals of a presented key are in `app.authstate.errors`)."""

from __future__ import annotations

from app.core.errors import Conflict, Forbidden, NotFound


class ApiKeyNotFound(NotFound):
    code = "API_KEY_NOT_FOUND"
    message = "No API key with this id."


class ApiKeyRoleNotAllowed(Forbidden):
    code = "API_KEY_ROLE_NOT_ALLOWED"
    message = "An API key's role cannot exceed the role you act with."


class ApiKeyLimitReached(Conflict):
    code = "API_KEY_LIMIT_REACHED"
    message = "You have reached the maximum number of active API keys; revoke one first."
