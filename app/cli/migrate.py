"""Bring the database named by DATABASE_URL to the latest schema, then exit.

The service migrates at start-up too; run this as a release step, before the workers start.
Several instances may run it at once: the upgrade runs under a lock. The database is waited for
(STARTUP_CONNECT_TIMEOUT_SECONDS); a refused setting or an unreachable database exits with 2.
"""

from __future__ import annotations

import argparse
import asyncio

from app.cli.refusals import Refused, load_settings
from app.cli.startup import check_startup
from app.config import ConfigurationError, Settings
from app.db.engine import create_database
from app.db.migrate import head_revision, migrate
from app.db.reachable import wait_until_reachable

NAME = "migrate"
HELP = "bring the database to the latest schema"


def configure(parser: argparse.ArgumentParser) -> None:
    pass


def run(arguments: argparse.Namespace, extra: list[str]) -> int:
    settings = load_settings()
    # Refuse what the service would refuse (a key file, the rate-limit storage) before touching
    # the schema; warnings are the service's to give, once, when it starts.
    findings = asyncio.run(check_startup(settings, database=False))
    if findings.problems:
        raise Refused(findings.problems)
    try:
        asyncio.run(_migrate(settings))
    except ConfigurationError as error:
        raise Refused([str(error)]) from None
    print(f"database at revision {head_revision()}")
    return 0


async def _migrate(settings: Settings) -> None:
    database = create_database(settings)
    try:
        await wait_until_reachable(database, settings)
        await migrate(database)
    finally:
        await database.dispose()
