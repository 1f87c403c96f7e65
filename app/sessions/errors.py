"""Errors of the sessions domain."""

from __future__ import annotations

from app.errors import NotFound


class SessionNotFound(NotFound):
    code = "SESSION_NOT_FOUND"
    message = "You have no active session with this id."
