"""SQLite, the embedded default: WAL mode, a busy timeout, enforced foreign keys; and concurrent
writers all succeed, on whichever database the run uses."""

from __future__ import annotations

import asyncio

import pytest

from tests.backends import DATABASE_VARIABLE, configured

sqlite_only = pytest.mark.skipif(
    configured(DATABASE_VARIABLE) is not None,
    reason=f"SQLite pragmas: this run uses PostgreSQL ({DATABASE_VARIABLE}); unset it to check them",
)


async def pragma(app, name: str):
    async with app.state.services.database.engine.connect() as connection:
        return (await connection.exec_driver_sql(f"PRAGMA {name}")).scalar()


@sqlite_only
async def test_sqlite_runs_in_wal_mode(app):
    assert await pragma(app, "journal_mode") == "wal"


@sqlite_only
async def test_sqlite_waits_for_other_writers_for_the_configured_busy_timeout(app, settings):
    assert await pragma(app, "busy_timeout") == settings.sqlite_busy_timeout_ms


@sqlite_only
async def test_sqlite_enforces_foreign_keys(app):
    assert await pragma(app, "foreign_keys") == 1


@sqlite_only
@pytest.mark.parametrize("settings_overrides", [{"sqlite_busy_timeout_ms": 1234}])
async def test_sqlite_busy_timeout_follows_the_setting(app):
    assert await pragma(app, "busy_timeout") == 1234


async def test_concurrent_writes_all_succeed(client, user):
    responses = await asyncio.gather(
        *(client.post("/items", json={"title": f"item {n}"}, headers=user.headers) for n in range(20))
    )

    assert [response.status_code for response in responses] == [201] * 20
    listed = await client.get("/items", params={"limit": 50}, headers=user.headers)
    assert listed.json()["total"] == 20
