"""Databases of their own on a PostgreSQL server: create one, drop it, and the URLs involved.

URLs are SQLAlchemy's (`postgresql+asyncpg://...`), as the service's DATABASE_URL takes them.
"""

from __future__ import annotations

import uuid

import asyncpg
from sqlalchemy.engine import make_url


def asyncpg_dsn(database_url: str) -> str:
    """The URL asyncpg itself takes (SQLAlchemy's `postgresql+asyncpg://` without the driver)."""
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


def with_database(server_url: str, name: str) -> str:
    """`server_url` naming the database `name` instead."""
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


async def create_database(server_url: str, *, prefix: str = "gatehouse_test") -> str:
    """A new, empty database on the server of `server_url`; its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    connection = await asyncpg.connect(asyncpg_dsn(server_url))
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return with_database(server_url, name)


async def drop_database(database_url: str, *, server_url: str) -> None:
    """Drop the database of `database_url`, even with clients still connected to it."""
    name = make_url(database_url).database
    connection = await asyncpg.connect(asyncpg_dsn(server_url))
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()
