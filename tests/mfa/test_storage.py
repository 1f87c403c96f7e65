"""What the database keeps of a factor: nothing usable without SECRET_KEY."""

from __future__ import annotations

import base64
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import select

from app.mfa.models import MfaFactor, MfaRecoveryCode
from tests.mfa.support import enrol, install_clock


def _database_file(settings) -> str:
    url = settings.database_url
    if not url.startswith("sqlite"):
        pytest.skip("reads the SQLite file itself")
    return url.split("///", 1)[1]


def _read_all(path: str) -> bytes:
    """The database file and its write-ahead log, as bytes."""
    found = [Path(name) for name in (path, path + "-wal")]
    return b"".join(file.read_bytes() for file in found if file.exists())


async def test_the_database_file_holds_neither_the_secret_nor_the_recovery_codes(client, app, user, settings):
    enrolled = await enrol(client, user, install_clock(app))
    await app.state.services.database.engine.dispose()  # everything on disk

    raw = _read_all(_database_file(settings))

    secret_bytes = base64.b32decode(enrolled.secret)
    assert enrolled.secret.encode() not in raw
    assert enrolled.secret.lower().encode() not in raw
    assert secret_bytes not in raw
    for code in enrolled.recovery_codes:
        assert code.encode() not in raw and code.replace("-", "").encode() not in raw


async def test_the_factor_row_holds_a_sealed_secret_and_the_codes_only_hashes(client, app, user, settings):
    enrolled = await enrol(client, user, install_clock(app))

    with sqlite3.connect(_database_file(settings)) as connection:
        (sealed,) = connection.execute("SELECT secret_sealed FROM mfa_factors").fetchone()
        hashes = [row[0] for row in connection.execute("SELECT code_hash FROM mfa_recovery_codes")]

    assert sealed.startswith("v1.") and enrolled.secret not in sealed
    assert len(hashes) == 10 and all(len(digest) == 64 for digest in hashes)


async def test_a_sealed_secret_copied_to_another_row_does_not_open(client, app, accounts, settings):
    clock = install_clock(app)
    first, second = await accounts.create(), await accounts.create()
    await enrol(client, first, clock)
    await enrol(client, second, clock)
    async with app.state.services.database.sessionmaker() as session:
        rows = (await session.scalars(select(MfaFactor).order_by(MfaFactor.created_at))).all()
        rows[1].secret_sealed = rows[0].secret_sealed
        await session.commit()
        assert await session.scalar(select(MfaRecoveryCode.id).limit(1)) is not None

    from app.core.sealing import SealBroken, SecretBox
    from app.core.secrets import SecretPurpose

    box = SecretBox.from_secret(app.state.services.keys.secret(SecretPurpose.MFA_FACTOR_SECRET))
    with pytest.raises(SealBroken):
        box.open(rows[0].secret_sealed, context=f"mfa-factor:{rows[1].id}:{rows[1].user_id}")
