"""Migration 0005: the running user totals start from the users already there, and go cleanly."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from alembic import command
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

from app.db.engine import Database, create_database
from app.db.migrate import alembic_config

INSERT_USER = text(
    "INSERT INTO users (id, email, hashed_password, is_active, is_superuser, is_verified, role, created_at, "
    "updated_at) VALUES (:id, :email, 'not-a-hash', :is_active, FALSE, FALSE, :role, '2020-01-01 00:00:00.000000', "
    "'2020-01-01 00:00:00.000000')"
)
# Triggers, and on PostgreSQL the functions they run, that the schema holds.
TRIGGERS = {
    "sqlite": text("SELECT name FROM sqlite_master WHERE type = 'trigger'"),
    "postgresql": text(
        "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal "
        "UNION ALL SELECT proname FROM pg_proc WHERE pronamespace = 'public'::regnamespace"
    ),
}
USERS = [("user", True)] * 4 + [("user", False)] * 2 + [("admin", True)]


@pytest.fixture
async def database(settings) -> AsyncIterator[Database]:
    database = create_database(settings)
    yield database
    await database.dispose()


def migrate_to(connection: Connection, action: str, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    getattr(command, action)(config, revision)


async def step(database: Database, action: str, revision: str) -> None:
    async with database.engine.connect() as connection:
        await connection.run_sync(migrate_to, action, revision)
        await connection.commit()


async def insert_users(database: Database, users: list[tuple[str, bool]]) -> None:
    async with database.engine.begin() as connection:
        await connection.execute(
            INSERT_USER,
            [
                {"id": str(uuid.uuid4()), "email": f"{uuid.uuid4().hex}@example.com", "role": role, "is_active": active}
                for role, active in users
            ],
        )


async def totals(database: Database) -> dict[tuple[str, bool], int]:
    async with database.engine.connect() as connection:
        rows = await connection.execute(text("SELECT role, is_active, count FROM user_counts WHERE count <> 0"))
        return {(role, bool(active)): count for role, active, count in rows}


async def test_upgrade_counts_the_users_already_there(database):
    await step(database, "upgrade", "0004")
    await insert_users(database, USERS)

    await step(database, "upgrade", "0005")

    assert await totals(database) == {("user", True): 4, ("user", False): 2, ("admin", True): 1}


async def test_totals_follow_writes_after_the_upgrade(database):
    await step(database, "upgrade", "0004")
    await insert_users(database, USERS)
    await step(database, "upgrade", "0005")

    await insert_users(database, [("guest", True)])
    async with database.engine.begin() as connection:
        await connection.execute(text("UPDATE users SET is_active = TRUE WHERE NOT is_active"))
        await connection.execute(text("DELETE FROM users WHERE role = 'admin'"))

    assert await totals(database) == {("user", True): 6, ("guest", True): 1}


async def test_downgrade_removes_the_totals_and_their_triggers(database):
    await step(database, "upgrade", "0005")

    await step(database, "downgrade", "0004")

    async with database.engine.connect() as connection:
        tables = await connection.run_sync(lambda sync: set(inspect(sync).get_table_names()))
        triggers = (await connection.execute(TRIGGERS[connection.dialect.name])).all()
    assert "user_counts" not in tables
    assert triggers == []
    await insert_users(database, USERS)  # a trigger left behind would fail on the missing table
