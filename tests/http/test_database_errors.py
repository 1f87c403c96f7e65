"""A database that is busy or does not answer is a 503 with `Retry-After`, never a 500, and a 503
changes nothing."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from app.db.engine import Database
from app.http.services import DbSession


async def _count(app, statement) -> int:
    async with app.state.services.database.sessionmaker() as db:
        return int(await db.scalar(statement) or 0)


@pytest.mark.parametrize(
    "settings_overrides",
    [{"database_pool_size": 1, "database_max_overflow": 0, "database_pool_timeout_seconds": 0.2}],
)
async def test_no_free_connection_answers_503_service_busy(app, client, user):
    async with app.state.services.database.engine.connect():  # the pool's only connection
        response = await client.get("/items", headers=user.headers)

    assert response.status_code == 503
    assert response.json()["detail"] == "SERVICE_BUSY"
    assert "Retry-After" in response.headers
    assert (await client.get("/items", headers=user.headers)).status_code == 200


@pytest.mark.parametrize("settings_overrides", [{"sqlite_busy_timeout_ms": 100}])
async def test_sqlite_still_locked_after_its_busy_timeout_answers_503(app, client, user, settings):
    if not settings.is_sqlite:
        pytest.skip("SQLite's write lock: PostgreSQL has row locks instead")
    async with app.state.services.database.engine.connect() as holder:
        await holder.execute(text("BEGIN IMMEDIATE"))  # another writer holds the database
        response = await client.post("/items", json={"title": "waits"}, headers=user.headers)
        await holder.rollback()

    assert response.status_code == 503
    assert response.json()["detail"] == "SERVICE_BUSY"
    assert await _count(app, text("SELECT count(*) FROM items")) == 0


async def test_a_database_that_does_not_answer_is_503_database_unavailable(app, client, user):
    working = app.state.services
    unreachable = create_async_engine("postgresql+asyncpg://nobody@127.0.0.1:9/gatehouse")  # discard port
    app.state.services = replace(
        working, database=Database(engine=unreachable, sessionmaker=async_sessionmaker(unreachable))
    )
    try:
        response = await client.get("/items", headers=user.headers)
    finally:
        app.state.services = working
        await unreachable.dispose()

    assert response.status_code == 503
    assert response.json()["detail"] == "DATABASE_UNAVAILABLE"
    assert "Retry-After" in response.headers


async def test_a_transaction_postgresql_rolls_back_for_another_one_answers_503_service_busy(
    app, client, settings, user
):
    if settings.is_sqlite:
        pytest.skip("PostgreSQL's lock errors (SQLSTATE 40P01, 40001, 55P03): SQLite has no row locks")

    async def lock_a_row(db: DbSession) -> None:  # what any request does that waits on a row lock
        await db.execute(text("SET LOCAL lock_timeout = '100ms'"))
        await db.execute(text("SELECT 1 FROM users FOR UPDATE"))

    app.add_api_route("/test-locks", lock_a_row, methods=["POST"])
    async with app.state.services.database.engine.connect() as holder:
        await holder.execute(text("SELECT 1 FROM users FOR UPDATE"))  # another transaction holds the rows
        response = await client.post("/test-locks")
        await holder.rollback()

    assert response.status_code == 503, response.text
    assert response.json()["detail"] == "SERVICE_BUSY"
    assert "Retry-After" in response.headers
