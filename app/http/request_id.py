"""Request ids: every request has one, in every log line it causes and in its answer's `X-Request-ID`.

asgi-correlation-id keeps the id in its context variable (`asgi_correlation_id.correlation_id`),
which the log lines (app/http/logs.py) and anything else that records the request read. An id a
client sends is believed only from a peer in TRUSTED_PROXIES (the proxy that gave the request its
id, so that its logs and ours name the same request), and only when it looks like an id: 1 to 128
letters, digits and `.`, `_`, `:`, `-`. Otherwise a new one is made (32 hex digits). A caller
cannot put text of their choosing into the service's logs this way.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence

from asgi_correlation_id import CorrelationIdMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from app.ratelimit.client import ClientAddress, IPNetwork

HEADER = "X-Request-ID"
_HEADER_KEY = HEADER.lower().encode()
_LOOKS_LIKE_AN_ID = re.compile(r"[A-Za-z0-9._:\-]{1,128}")


def looks_like_an_id(value: str) -> bool:
    return _LOOKS_LIKE_AN_ID.fullmatch(value) is not None


def new_request_id() -> str:
    return os.urandom(16).hex()  # as random as a UUID4's 122 bits, at a fraction of its cost


class RequestIds:
    def __init__(self, app: ASGIApp, *, trusted_proxies: Sequence[IPNetwork]) -> None:
        self.clients = ClientAddress(trusted_proxies)
        # The request's own headers are left as they came: the id is read from the context variable.
        self.app = CorrelationIdMiddleware(
            app, header_name=HEADER, update_request_header=False, generator=new_request_id, validator=looks_like_an_id
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and any(name == _HEADER_KEY for name, _ in scope["headers"]):
            client = scope.get("client")
            if not self.clients.peer_is_trusted(client[0] if client else None):
                # Not from our proxy: as if it had not been sent (a new id is made).
                scope["headers"] = [(name, value) for name, value in scope["headers"] if name != _HEADER_KEY]
        await self.app(scope, receive, send)
