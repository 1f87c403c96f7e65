"""Errors of the console's cookie session routes."""

from __future__ import annotations

from app.core.errors import DomainError


class ConsoleRequestRefused(DomainError):
    """A state-changing console request without the console's header, or from another origin:
    what a cross-site form or script would send (CSRF)."""

    status_code = 403
    code = "CONSOLE_REQUEST_REFUSED"
    message = (
        "This request did not come from the console's own pages: it needs the X-Gatehouse-Console header "
        "and, when the browser names one, the service's own origin."
    )
