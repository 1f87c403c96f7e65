"""Several service processes starting at once on an empty database migrate it exactly once.

The processes race through start-up together (migrations, then the first admin); every one must
come up, the database must end at the head revision with one `alembic_version` row, one admin,
and no process may log an error on the way.
"""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import asyncpg
import pytest

from app.db.migrate import head_revision
from scripts.servers.databases import asyncpg_dsn, create_database, drop_database
from scripts.servers.gatehouse import start_instances, stop_instances
from tests.scaleout.instances import service_environment

pytestmark = pytest.mark.processes

PROCESSES = 4


def start_together(database_url: str, workdir: Path) -> list[str]:
    """Start PROCESSES instances at once, wait for all, stop them; their logs."""
    instances = start_instances(PROCESSES, workdir=workdir, env=service_environment(database_url))
    stop_instances(instances)
    return [instance.log() for instance in instances]


def assert_no_errors(logs: list[str]) -> None:
    for log in logs:
        assert "Traceback" not in log, log
        assert "ERROR" not in log, log


async def test_processes_starting_together_on_postgresql_migrate_once(postgres_server_url, tmp_path):
    database_url = await create_database(postgres_server_url)
    try:
        logs = await asyncio.to_thread(start_together, database_url, tmp_path)

        connection = await asyncpg.connect(asyncpg_dsn(database_url))
        try:
            versions = [row["version_num"] for row in await connection.fetch("SELECT version_num FROM alembic_version")]
            admins = await connection.fetchval("SELECT count(*) FROM users WHERE role = 'admin'")
        finally:
            await connection.close()
    finally:
        await drop_database(database_url, server_url=postgres_server_url)

    assert_no_errors(logs)
    assert versions == [head_revision()]
    assert admins == 1


async def test_processes_starting_together_on_sqlite_migrate_once(tmp_path):
    database = tmp_path / "shared.db"

    logs = await asyncio.to_thread(start_together, f"sqlite+aiosqlite:///{database}", tmp_path)

    connection = sqlite3.connect(database)
    try:
        versions = [row[0] for row in connection.execute("SELECT version_num FROM alembic_version")]
        admins = connection.execute("SELECT count(*) FROM users WHERE role = 'admin'").fetchone()[0]
    finally:
        connection.close()
    assert_no_errors(logs)
    assert versions == [head_revision()]
    assert admins == 1
