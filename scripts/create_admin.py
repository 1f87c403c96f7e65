#!/usr/bin/env python3
"""Create an admin account, or promote an existing one, from the shell.

    .venv/bin/python scripts/create_admin.py --email admin@example.com          # asks for the password
    GATEHOUSE_ADMIN_PASSWORD=... .venv/bin/python scripts/create_admin.py --email admin@example.com
    .venv/bin/python scripts/create_admin.py --promote --email someone@example.com

Uses the same settings as the service (DATABASE_URL, .env) and migrates the database first.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select

from app.config import get_settings
from app.core.passwords import PasswordHasher
from app.core.roles import Role
from app.db.engine import create_database
from app.db.migrate import migrate
from app.users.bootstrap import AdminNotCreated, create_admin
from app.users.models import User

PASSWORD_VARIABLE = "GATEHOUSE_ADMIN_PASSWORD"


async def main(email: str, promote: bool) -> int:
    settings = get_settings()
    database = create_database(settings)
    passwords = PasswordHasher(rounds=settings.password_bcrypt_rounds, threads=1)
    try:
        await migrate(database)
        if promote:
            async with database.sessionmaker() as session:
                user = await session.scalar(select(User).where(User.email == email.strip().lower()))
                if user is None:
                    print(f"error: no account with the email {email}", file=sys.stderr)
                    return 1
                user.role, user.is_active = Role.ADMIN, True
                await session.commit()
                print(f"promoted {user.email} (id {user.id}) to admin")
                return 0
        password = os.environ.get(PASSWORD_VARIABLE) or _ask_password()
        try:
            user = await create_admin(database=database, passwords=passwords, email=email, password=password)
        except AdminNotCreated as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
        print(f"created admin {user.email} (id {user.id})")
        return 0
    finally:
        passwords.close()
        await database.dispose()


def _ask_password() -> str:
    if not sys.stdin.isatty():
        raise SystemExit(f"error: no terminal to ask for the password; set {PASSWORD_VARIABLE}")
    first = getpass.getpass("Password for the new admin: ")
    if first != getpass.getpass("Repeat it: "):
        raise SystemExit("error: the passwords differ")
    return first


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--email", required=True)
    parser.add_argument("--promote", action="store_true", help="make an existing account an admin")
    arguments = parser.parse_args()
    sys.exit(asyncio.run(main(arguments.email, arguments.promote)))
