"""/ready asks the servers the service depends on; /health only says the process answers."""

from __future__ import annotations

import socket
from dataclasses import replace

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from app.db.engine import Database


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # nothing listens once the probe is closed


async def test_ready_when_the_database_answers(client, settings):
    response = await client.get("/ready")

    assert response.status_code == 200
    expected = {"database": "ok"}
    if settings.redis_url:
        expected["redis"] = "ok"
    assert response.json() == {"status": "ready", "checks": expected}
    assert response.headers["Cache-Control"] == "no-store"


async def test_ready_needs_no_credentials_and_is_not_marked_protected(client):
    paths = (await client.get("/openapi.json")).json()["paths"]

    assert not paths["/ready"]["get"].get("security")
    assert "503" in paths["/ready"]["get"]["responses"]


async def test_not_ready_when_the_database_does_not_answer(app, client):
    working = app.state.services
    unreachable = create_async_engine(f"postgresql+asyncpg://nobody@127.0.0.1:{closed_port()}/gatehouse")
    app.state.services = replace(
        working, database=Database(engine=unreachable, sessionmaker=async_sessionmaker(unreachable))
    )
    try:
        response = await client.get("/ready")
        health = await client.get("/health")
    finally:
        app.state.services = working
        await unreachable.dispose()

    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"
    assert response.json()["checks"]["database"] == "unavailable"
    assert health.status_code == 200  # liveness does not depend on the database


class TestWhenRedisIsDown:
    @pytest.fixture
    def settings_overrides(self):
        return {"redis_url": f"redis://127.0.0.1:{closed_port()}/0", "rate_limit_storage_uri": ""}

    async def test_ready_names_redis_and_health_still_answers(self, client):
        response = await client.get("/ready")

        assert response.status_code == 503
        assert response.json() == {"status": "unavailable", "checks": {"database": "ok", "redis": "unavailable"}}
        assert (await client.get("/health")).status_code == 200


class TestWhenTheRateLimitStoreIsASeparateServerAndDown:
    @pytest.fixture
    def settings_overrides(self):
        return {"redis_url": None, "rate_limit_storage_uri": f"redis://127.0.0.1:{closed_port()}/0"}

    async def test_ready_names_the_rate_limit_storage(self, client):
        response = await client.get("/ready")

        assert response.status_code == 503
        assert response.json()["checks"] == {"database": "ok", "rate_limit_storage": "unavailable"}
