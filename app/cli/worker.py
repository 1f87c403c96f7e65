"""The application `gatehouse serve` hands to uvicorn: `app.main:app`, with start-up refusals in
one line.

`gatehouse serve` checks the settings, keys, rate-limit storage and database before uvicorn
starts, but a worker can still meet a refusal of its own (the database gone between the check
and the worker's start, say). Starlette would report it as a traceback, and uvicorn exit with 3
(or, with several workers, 0); here the worker logs the refusal's one line and appends it to
the file named by GATEHOUSE_REFUSALS_FILE, which `serve` reads to exit with status 2.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.cli.refusals import REFUSALS_FILE_VARIABLE
from app.config import ConfigurationError
from app.main import app as service


class OneLineRefusals:
    def __init__(self, application: ASGIApp, *, refusals_file: Path | None = None) -> None:
        self.application = application
        self.refusals_file = refusals_file

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            await self.application(scope, receive, send)
            return
        refused = False

        async def send_refusal_in_one_line(message: Message) -> None:
            nonlocal refused
            # Starlette sends the failure from inside its `except` block: the error is current.
            error = sys.exc_info()[1]
            if message["type"] == "lifespan.startup.failed" and isinstance(error, ConfigurationError):
                refused = True
                line = " ".join(str(error).split())
                self._record(line)
                message = {**message, "message": f"refused: {line}"}
            await send(message)

        try:
            await self.application(scope, receive, send_refusal_in_one_line)
        except ConfigurationError:
            if not refused:
                raise
            # Told already, in one line; uvicorn only needs to know that start-up failed.

    def _record(self, line: str) -> None:
        if self.refusals_file is not None:
            with self.refusals_file.open("a") as refusals:
                refusals.write(f"{line}\n")


def _refusals_file() -> Path | None:
    path = os.environ.get(REFUSALS_FILE_VARIABLE)
    return Path(path) if path else None


app = OneLineRefusals(service, refusals_file=_refusals_file())
