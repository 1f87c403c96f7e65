"""Where the request being served comes from, for the events it records.

`AuditOrigin` (`app.audit.middleware`) sets it once per request; code that records an event reads
it here instead of every service taking the client as an argument. Outside a request (start-up,
background jobs) there is none, and events carry no address. The request id is asgi-correlation-id's
(`X-Request-ID`), read the same way.
"""

from __future__ import annotations

from contextvars import ContextVar, Token
from dataclasses import dataclass

from asgi_correlation_id import correlation_id

from app.core.identity import USER_AGENT_MAX_LENGTH

REQUEST_ID_MAX_LENGTH = 128


@dataclass(frozen=True, slots=True)
class Origin:
    ip_address: str | None = None
    user_agent: str | None = None

    @classmethod
    def of(cls, *, ip_address: str | None, user_agent: str | None) -> Origin:
        return cls(ip_address=ip_address, user_agent=user_agent[:USER_AGENT_MAX_LENGTH] if user_agent else None)


NO_ORIGIN = Origin()
_origin: ContextVar[Origin] = ContextVar("gatehouse_audit_origin", default=NO_ORIGIN)


def current_origin() -> Origin:
    return _origin.get()


def set_origin(origin: Origin) -> Token[Origin]:
    """Returns the token `reset_origin` takes."""
    return _origin.set(origin)


def reset_origin(token: Token[Origin]) -> None:
    _origin.reset(token)


def current_request_id() -> str | None:
    value = correlation_id.get()
    return value[:REQUEST_ID_MAX_LENGTH] if value else None
