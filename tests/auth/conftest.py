"""Fixtures for the auth tests: a second app instance on the same database (another worker)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import httpx
import pytest
from asgi_lifespan import LifespanManager

from app.config import Settings
from app.main import create_app

WorkerFactory = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def other_worker(app: object, settings: Settings) -> WorkerFactory:
    """`async with other_worker(**setting_changes) as client:` a client of a separate app
    instance on the test's database, as another uvicorn worker (or a restarted one) would be."""

    @asynccontextmanager
    async def start(**changes: object) -> AsyncIterator[httpx.AsyncClient]:
        worker_settings = Settings(_env_file=None, **{**settings.model_dump(), **changes})  # type: ignore[call-arg]
        application = create_app(worker_settings)
        async with LifespanManager(application):
            transport = httpx.ASGITransport(app=application, client=("198.51.100.7", 40000))
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
                yield client

    return start
