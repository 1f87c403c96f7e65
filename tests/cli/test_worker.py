"""A worker's own start-up refusal is told in one line (app/cli/worker.py), not a traceback."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.types import Message

from app.cli.worker import OneLineRefusals
from app.config import ConfigurationError

REFUSAL = "DATABASE_URL: no connection to 127.0.0.1:1 within STARTUP_CONNECT_TIMEOUT_SECONDS=0.3"


def refusing_app(error: BaseException) -> Starlette:
    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        raise error
        yield

    return Starlette(lifespan=lifespan)


async def start(application: OneLineRefusals) -> list[Message]:
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "lifespan.startup"}

    async def send(message: Message) -> None:
        sent.append(message)

    await application({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, receive, send)
    return sent


async def test_a_refusal_at_start_up_is_sent_to_uvicorn_as_its_one_line_and_recorded(tmp_path: Path):
    refusals = tmp_path / "refusals"

    sent = await start(OneLineRefusals(refusing_app(ConfigurationError(REFUSAL)), refusals_file=refusals))

    assert sent == [{"type": "lifespan.startup.failed", "message": f"refused: {REFUSAL}"}]
    assert refusals.read_text() == f"{REFUSAL}\n"


async def test_any_other_start_up_failure_keeps_its_traceback(tmp_path: Path):
    refusals = tmp_path / "refusals"

    with pytest.raises(ZeroDivisionError):
        await start(OneLineRefusals(refusing_app(ZeroDivisionError("a bug")), refusals_file=refusals))

    assert not refusals.exists()
