"""Errors of the audit listings: a filter or cursor that cannot be read."""

from __future__ import annotations

from app.core.errors import DomainError


class AuditCursorInvalid(DomainError):
    code = "AUDIT_CURSOR_INVALID"
    message = "This cursor was not issued by this listing; start again without one."


class AuditTypeUnknown(DomainError):
    code = "AUDIT_TYPE_UNKNOWN"
    message = "No event type is named so: give a type (login.failed) or a prefix ending in '.' (login.)."


class AuditFilterInvalid(DomainError):
    code = "AUDIT_FILTER_INVALID"
    message = "A filter of this listing cannot be read."
