"""What the database keeps of a key: a keyed hash and a display prefix, never the key."""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

import pytest
from sqlalchemy import column, inspect, select, table
from sqlalchemy.engine import Connection

from app.core.api_key_format import PREFIX
from app.core.secrets import SecretPurpose, derive_secret
from tests.backends import DATABASE_VARIABLE, configured


async def test_stored_hash_is_hmac_sha256_of_the_key_under_the_api_key_secret(settings, user, keys):
    issued = await keys.create(user)
    row = await keys.row(issued.id)
    expected = hmac.new(
        derive_secret(settings.signing_secret(), SecretPurpose.API_KEY).encode(), issued.key.encode(), hashlib.sha256
    ).hexdigest()
    assert row.key_hash == expected
    assert row.key_hash != issued.key
    assert row.key_hash != hashlib.sha256(issued.key.encode()).hexdigest()  # keyed, not a plain digest


async def test_stored_prefix_is_only_the_start_of_the_key(user, keys):
    issued = await keys.create(user)
    row = await keys.row(issued.id)
    assert row.prefix == issued.body["prefix"]
    assert len(row.prefix) == len(PREFIX) + 8


def every_stored_value(connection: Connection) -> list[str]:
    """Every value of every row of every table, as text."""
    inspector = inspect(connection)
    values: list[str] = []
    for name in inspector.get_table_names():
        stored = table(name, *(column(described["name"]) for described in inspector.get_columns(name)))
        values.extend(str(value) for row in connection.execute(select(stored)) for value in row)
    return values


async def test_no_stored_row_contains_the_key(app, user, keys):
    issued = await keys.create(user)
    row = await keys.row(issued.id)
    secret_part = issued.key[len(issued.body["prefix"]) :]

    async with app.state.services.database.engine.connect() as connection:
        values = await connection.run_sync(every_stored_value)

    assert row.key_hash in values  # the search does reach the key's row
    assert not [value for value in values if issued.key in value or secret_part in value]


@pytest.mark.skipif(
    configured(DATABASE_VARIABLE) is not None,
    reason="reads the SQLite file byte by byte; a PostgreSQL server's files are not the tests' to read "
    "(test_no_stored_row_contains_the_key checks every stored row there); unset TEST_DATABASE_URL to run it",
)
async def test_database_files_never_contain_the_key(app, settings, user, keys):
    issued = await keys.create(user)
    row = await keys.row(issued.id)
    secret_part = issued.key[len(issued.body["prefix"]) :].encode()
    database = Path(app.state.services.database.engine.url.database)
    files = [path for path in database.parent.glob(database.name + "*") if path.is_file()]
    # The search does reach what was written: the hash is there.
    assert any(row.key_hash.encode() in path.read_bytes() for path in files)
    for path in files:
        content = path.read_bytes()
        assert issued.key.encode() not in content, path
        assert secret_part not in content, path


async def test_hash_key_is_derived_for_api_keys_alone(settings):
    assert derive_secret(settings.signing_secret(), SecretPurpose.API_KEY) != derive_secret(
        settings.signing_secret(), SecretPurpose.ACCESS_TOKEN
    )
    assert derive_secret(settings.signing_secret(), SecretPurpose.API_KEY) != settings.signing_secret()
