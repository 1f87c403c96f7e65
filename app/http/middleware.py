"""ASGI middleware of the auth state: a response starts only after the Redis counter of every auth
change the request committed has been incremented (`app.authstate.state.announcing`)."""

from __future__ import annotations

import asyncio

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.authstate.state import announcing


class AnnounceAuthChanges:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        with announcing() as pending:

            async def send_after_announcing(message: Message) -> None:
                if message["type"] == "http.response.start" and pending:
                    announcements = list(pending)
                    pending.clear()
                    await asyncio.gather(*announcements)
                await send(message)

            try:
                await self.app(scope, receive, send_after_announcing)
            finally:
                for leftover in pending:  # committed after the response started
                    await leftover
