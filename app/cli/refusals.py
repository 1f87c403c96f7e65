"""Refused settings, told in a few lines: the setting, its value (masked when secret), what to write.

Every command that starts the service or uses its settings loads them here: a refusal prints at
most MAX_LINES lines on stderr, never a traceback, and the command exits with REFUSED (2).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable

from pydantic import SecretStr, ValidationError

from app.config import ConfigurationError, Settings, get_settings, masked_url

REFUSED = 2
MAX_LINES = 5
# Where `gatehouse serve` has its workers write a refusal they meet themselves (app/cli/worker.py):
# command plumbing, not a setting of the service.
REFUSALS_FILE_VARIABLE = "GATEHOUSE_REFUSALS_FILE"
# Settings whose value is never shown whole: secrets, and URLs that may hold a password.
URL_SETTINGS = frozenset({"database_url", "redis_url", "rate_limit_storage_uri"})
# SECRET_KEY, FIRST_ADMIN_PASSWORD, and any later *_PASSWORD, *_SECRET or *_TOKEN (SMTP_PASSWORD, say).
_SECRET_NAME = re.compile(r"(password|secret|token|secret_key)$")


class Refused(Exception):
    """The command cannot go on; each item of `lines` is one line for the operator."""

    def __init__(self, lines: Iterable[str]) -> None:
        self.lines = list(lines)
        super().__init__("; ".join(self.lines))


def load_settings() -> Settings:
    """The settings exactly as the service reads them (environment and `.env`), or `Refused`."""
    try:
        return get_settings()
    except ValidationError as error:
        raise Refused(validation_lines(error)) from None
    except ConfigurationError as error:
        raise Refused([str(error)]) from None


def is_secret(name: str) -> bool:
    return bool(_SECRET_NAME.search(name))


def shown(name: str, value: object) -> str:
    """A setting's value as the commands print it: secrets masked, passwords cut out of URLs."""
    if value is None or value == "":
        return ""
    if isinstance(value, SecretStr):
        value = value.get_secret_value()
    if is_secret(name):
        return "***" if value else ""
    if isinstance(value, list):
        return ",".join(str(item) for item in value)
    if name in URL_SETTINGS:
        return masked_url(str(value))
    return str(value)


def validation_lines(error: ValidationError) -> list[str]:
    lines = []
    for issue in error.errors(include_url=False):
        name = str(issue["loc"][0]) if issue["loc"] else "settings"
        message = issue["msg"].removeprefix("Value error, ")
        value = issue.get("input")
        display = shown(name, value) if isinstance(value, str | SecretStr) else None
        written = f"={display!r}" if display is not None else ""
        lines.append(f"{name.upper()}{written} is refused: {message}")
    return lines


def report(lines: list[str], *, prefix: str = "error") -> None:
    """Print a refusal: MAX_LINES lines at most, the last one saying how many more there were."""
    if len(lines) > MAX_LINES:
        lines = [*lines[: MAX_LINES - 1], f"... and {len(lines) - MAX_LINES + 1} more refused settings"]
    for line in lines:
        print(f"{prefix}: {' '.join(line.split())}", file=sys.stderr)
