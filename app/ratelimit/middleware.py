"""Write the X-RateLimit-* headers on every answer of a rate-limited route.

The limit is checked in a dependency, but the answer may come from anywhere after it: the
route's own Response (fastapi-users builds the login response itself), a validation error, a
domain error. The dependency leaves the headers in the request state; this middleware adds them
to whatever response goes out.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

STATE_KEY = "rate_limit_headers"
# What browsers may read across origins (CORS exposes none of them by default).
RATE_LIMIT_HEADERS = ["Retry-After", "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"]


def remember_headers(request: Request, headers: dict[str, str]) -> None:
    setattr(request.state, STATE_KEY, headers)


class RateLimitHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # The request state lives in the scope; make sure there is one dict the route and this
        # middleware both see.
        state = scope.setdefault("state", {})

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start" and (headers := state.get(STATE_KEY)):
                response_headers = MutableHeaders(scope=message)
                for name, value in headers.items():
                    response_headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)
