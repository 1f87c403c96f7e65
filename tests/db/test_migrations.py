"""The Alembic migrations build exactly the schema the models describe, and run both ways."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from app.db.engine import Database, create_database
from app.db.migrate import alembic_config, current_revision, head_revision, migrate
from app.db.unmapped import include_name
from app.tables import Base


@pytest.fixture
async def database(settings) -> AsyncIterator[Database]:
    database = create_database(settings)  # a fresh, empty database: the app fixture is not used here
    yield database
    await database.dispose()


def schema_differences(connection: Connection) -> list:
    context = MigrationContext.configure(
        connection,
        opts={
            "compare_type": True,
            "compare_server_default": True,
            "target_metadata": Base.metadata,
            "include_name": include_name,
        },
    )
    return compare_metadata(context, Base.metadata)


def table_names(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


def run(connection: Connection, action: str, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    getattr(command, action)(config, revision)


async def test_migrated_schema_matches_the_models(database):
    await migrate(database)

    async with database.engine.connect() as connection:
        differences = await connection.run_sync(schema_differences)

    assert differences == []


async def test_migration_creates_every_model_table(database):
    await migrate(database)

    async with database.engine.connect() as connection:
        tables = await connection.run_sync(table_names)

    assert set(Base.metadata.tables) <= tables


async def test_migration_leaves_the_database_at_head(database):
    await migrate(database)

    async with database.engine.connect() as connection:
        revision = await connection.run_sync(current_revision)

    assert revision is not None
    assert revision == head_revision()


async def test_migrating_an_up_to_date_database_changes_nothing(database):
    await migrate(database)
    await migrate(database)

    async with database.engine.connect() as connection:
        assert await connection.run_sync(current_revision) == head_revision()
        assert await connection.run_sync(schema_differences) == []


async def test_downgrade_to_base_removes_every_table(database):
    await migrate(database)

    async with database.engine.connect() as connection:
        await connection.run_sync(run, "downgrade", "base")
        await connection.commit()
        tables = await connection.run_sync(table_names)

    assert tables <= {"alembic_version"}


async def test_upgrade_after_downgrade_to_base_rebuilds_the_schema(database):
    await migrate(database)
    async with database.engine.connect() as connection:
        await connection.run_sync(run, "downgrade", "base")
        await connection.commit()

    await migrate(database)

    async with database.engine.connect() as connection:
        assert await connection.run_sync(current_revision) == head_revision()
        assert await connection.run_sync(schema_differences) == []


def test_migration_history_is_one_line_without_branches():
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config())

    assert len(script.get_heads()) == 1
    assert len(script.get_bases()) == 1
