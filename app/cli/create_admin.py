"""Create an admin account, or make an existing account an admin (--promote).

The password comes from, in this order: standard input with --password-stdin (its first line),
the GATEHOUSE_ADMIN_PASSWORD environment variable, or a prompt on the terminal (asked twice).
Uses the service's settings (DATABASE_URL, .env) and migrates the database first.

  gatehouse create-admin --email admin@example.com
  printf '%s\\n' "$PASSWORD" | gatehouse create-admin --email admin@example.com --password-stdin
  gatehouse create-admin --promote --email someone@example.com
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys

from app.cli.refusals import Refused, load_settings
from app.config import ConfigurationError, Settings
from app.core.passwords import PasswordHasher
from app.db.engine import create_database
from app.db.migrate import migrate
from app.db.reachable import wait_until_reachable
from app.users.bootstrap import AdminNotCreated, create_admin, promote_to_admin
from app.users.password_policy import PasswordPolicy

NAME = "create-admin"
HELP = "create an admin account, or promote an existing one"
# A command input, not a service setting: read here, at the command line's edge.
PASSWORD_VARIABLE = "GATEHOUSE_ADMIN_PASSWORD"
FAILED = 1


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--email", required=True, help="the admin's email")
    parser.add_argument("--promote", action="store_true", help="make an existing account an active admin")
    parser.add_argument(
        "--password-stdin", action="store_true", help="read the password from the first line of standard input"
    )


def run(arguments: argparse.Namespace, extra: list[str]) -> int:
    settings = load_settings()
    password = None if arguments.promote else _password(from_stdin=arguments.password_stdin)
    if password is None and not arguments.promote:
        return FAILED
    try:
        return asyncio.run(_run(settings, email=arguments.email, password=password))
    except ConfigurationError as error:
        raise Refused([str(error)]) from None


async def _run(settings: Settings, *, email: str, password: str | None) -> int:
    database = create_database(settings)
    passwords = PasswordHasher(rounds=settings.password_bcrypt_rounds, threads=1)
    try:
        await wait_until_reachable(database, settings)
        await migrate(database)
        if password is None:
            user = await promote_to_admin(database=database, passwords=passwords, email=email)
            print(f"promoted {user.email} (id {user.id}) to admin")
        else:
            user = await create_admin(
                database=database,
                passwords=passwords,
                email=email,
                password=password,
                policy=PasswordPolicy.from_settings(settings),
            )
            print(f"created admin {user.email} (id {user.id})")
        return 0
    except AdminNotCreated as error:
        print(f"error: {error}", file=sys.stderr)
        return FAILED
    finally:
        passwords.close()
        await database.dispose()


def _password(*, from_stdin: bool) -> str | None:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            print("error: --password-stdin read no password", file=sys.stderr)
            return None
        return password
    if os.environ.get(PASSWORD_VARIABLE):
        return os.environ[PASSWORD_VARIABLE]
    if not sys.stdin.isatty():
        print(
            f"error: no terminal to ask for the password; use --password-stdin or set {PASSWORD_VARIABLE}",
            file=sys.stderr,
        )
        return None
    first = getpass.getpass("Password for the new admin: ")
    if first != getpass.getpass("Repeat it: "):
        print("error: the passwords differ", file=sys.stderr)
        return None
    return first
