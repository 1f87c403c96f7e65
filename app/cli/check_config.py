"""Load the settings exactly as the service would, connect to the database and Redis as its
start-up would, and print what it will use, secrets masked (SECRET_KEY, passwords, tokens, the
password inside DATABASE_URL and REDIS_URL).

Exit status: 0 when the service would start (an unreachable Redis is a warning: the service
runs without it, and /ready answers 503); 2 when it would refuse to, with the problems printed.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from app.cli.refusals import REFUSED, load_settings, report, shown
from app.cli.startup import check_startup
from app.config import ConfigurationError, Settings
from app.ratelimit.limiter import per_worker_counting
from app.users.bootstrap import check_first_admin

NAME = "check-config"
HELP = "print the settings the service would use (secrets masked), check the database and Redis"


def configure(parser: argparse.ArgumentParser) -> None:
    pass


def run(arguments: argparse.Namespace, extra: list[str]) -> int:
    settings = load_settings()
    findings = asyncio.run(check_startup(settings))
    try:
        check_first_admin(settings)  # start-up refuses it when it creates the admin
    except ConfigurationError as error:
        findings.problems.append(str(error))
    print("settings (from the environment and ./.env):")
    for name in Settings.model_fields:
        print(f"  {name.upper()}={shown(name, getattr(settings, name))}{_note(settings, name)}")
    for fact in findings.facts:
        print(fact)
    warnings = list(findings.warnings)
    if (counting := per_worker_counting(settings)) is not None:
        warnings.append(counting)
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if findings.problems:
        report(findings.problems)
        return REFUSED
    print("ok: the service would start with these settings")
    return 0


def _note(settings: Settings, name: str) -> str:
    if name == "secret_key" and settings.secret_key is None:
        return "  (unset: a development secret kept in ./data/.secret_key signs)"
    return ""
