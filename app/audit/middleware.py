"""`AuditOrigin`: the client of each request (as resolved through TRUSTED_PROXIES, like the rate
limits) and its user agent, for the audit events the request records (`app.audit.context`)."""

from __future__ import annotations

from collections.abc import Sequence

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from app.audit.context import Origin, reset_origin, set_origin
from app.ratelimit.client import ClientAddress, IPNetwork


class AuditOrigin:
    def __init__(self, app: ASGIApp, *, trusted_proxies: Sequence[IPNetwork]) -> None:
        self.app = app
        self.addresses = ClientAddress(trusted_proxies)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        client = scope.get("client")
        address = self.addresses.address(client[0] if client else None, headers.getlist("x-forwarded-for"))
        token = set_origin(
            Origin.of(ip_address=str(address) if address else None, user_agent=headers.get("user-agent"))
        )
        try:
            await self.app(scope, receive, send)
        finally:
            reset_origin(token)
