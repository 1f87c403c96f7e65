"""`gatehouse`: run and operate the service from the shell.

    gatehouse serve [uvicorn options]      the service (what `python -m app` runs)
    gatehouse migrate                      bring the database to the latest schema
    gatehouse create-admin --email E       create an admin, or --promote an existing account
    gatehouse check-config                 what the service would use, secrets masked
    gatehouse generate-signing-key ...     a private key for JWT_ALGORITHM=RS256 or ES256

Each command module has `NAME`, `HELP`, `configure(parser)` and `run(arguments, extra) -> int`.
A refused setting prints a few lines (app.cli.refusals) and exits with status 2.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from app.cli import check_config, create_admin, generate_signing_key, migrate, serve
from app.cli.refusals import REFUSED, Refused, report

COMMANDS = (serve, migrate, create_admin, check_config, generate_signing_key)


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(
        prog="gatehouse",
        description="Gatehouse, the authentication service. Settings come from the environment and ./.env.",
        epilog="`gatehouse COMMAND --help` tells more of each command.",
    )
    commands = root.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for command in COMMANDS:
        sub = commands.add_parser(
            command.NAME,
            help=command.HELP,
            description=command.__doc__,
            allow_abbrev=False,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        command.configure(sub)
        sub.set_defaults(run=command.run, takes_extra=command is serve)
    return root


def main(argv: Sequence[str] | None = None) -> int:
    root = parser()
    arguments, extra = root.parse_known_args(sys.argv[1:] if argv is None else list(argv))
    if extra and not arguments.takes_extra:
        root.error(f"unrecognized arguments: {' '.join(extra)}")
    try:
        status: int = arguments.run(arguments, extra)
    except Refused as refused:
        report(refused.lines)
        return REFUSED
    return status
