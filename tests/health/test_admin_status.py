"""GET /admin/status: readiness, version and accounts per role, for admins."""

from __future__ import annotations

from dataclasses import replace
from importlib import metadata

from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from app.core.roles import Role
from app.db.engine import Database
from tests.health.test_ready import closed_port


async def test_status_reports_checks_version_and_counts_by_role(client, admin, accounts, settings):
    await accounts.create(role=Role.GUEST, login=False)
    inactive = await accounts.create(role=Role.USER, login=False)
    await accounts.update(inactive, is_active=False)
    await accounts.create(role=Role.USER, login=False)

    response = await client.get("/admin/status", headers=admin.headers)

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready"
    assert body["version"] == metadata.version("gatehouse")
    expected = {"database": "ok"}
    if settings.redis_url:
        expected["redis"] = "ok"
    assert body["checks"] == expected
    assert body["users"] == {
        "admin": {"active": 1, "inactive": 0},
        "user": {"active": 1, "inactive": 1},
        "guest": {"active": 1, "inactive": 0},
    }
    assert body["users_total"] == 4


async def test_the_version_is_the_documents_version(client, admin):
    document = (await client.get("/openapi.json")).json()
    body = (await client.get("/admin/status", headers=admin.headers)).json()

    assert document["info"]["version"] == body["version"]


async def test_status_answers_while_the_database_does_not(app, client, admin):
    working = app.state.services
    unreachable = create_async_engine(f"postgresql+asyncpg://nobody@127.0.0.1:{closed_port()}/gatehouse")
    app.state.services = replace(
        working, database=Database(engine=unreachable, sessionmaker=async_sessionmaker(unreachable))
    )
    try:
        response = await client.get("/admin/status", headers=admin.headers)
    finally:
        app.state.services = working
        await unreachable.dispose()

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"] == "unavailable"
    assert body["users"] is None and body["users_total"] is None
