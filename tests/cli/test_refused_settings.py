"""Every refused setting, at the start of `serve`, `migrate` and `check-config`: a few lines that
name the setting, no traceback, exit status 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.support import gatehouse

DATABASE_PASSWORD = "db-password-never-shown"
COMMANDS = [["check-config"], ["migrate"], ["serve", "--host", "127.0.0.1", "--port", "0"]]

# Production with its mail backend chosen, so that each case is refused for its own setting only.
PRODUCTION = {"ENVIRONMENT": "production", "MAIL_BACKEND": "console"}
# case id -> (settings, the setting the message must name)
CASES: dict[str, tuple[dict[str, str], str]] = {
    "production without a secret": ({**PRODUCTION, "SECRET_KEY": ""}, "SECRET_KEY"),
    "production with a short secret": ({**PRODUCTION, "SECRET_KEY": "s" * 20}, "SECRET_KEY"),
    "production with the example secret": (
        {**PRODUCTION, "SECRET_KEY": "change-me-to-a-long-random-string"},
        "SECRET_KEY",
    ),
    "production without a mail backend": ({"ENVIRONMENT": "production"}, "MAIL_BACKEND"),
    "development with the example secret": ({"SECRET_KEY": "change-me-to-a-long-random-string"}, "SECRET_KEY"),
    "an unsupported database": (
        {"DATABASE_URL": f"mysql+aiomysql://gatehouse:{DATABASE_PASSWORD}@127.0.0.1/gatehouse"},
        "DATABASE_URL",
    ),
    "an unreachable database": (
        {
            "DATABASE_URL": f"postgresql+asyncpg://gatehouse:{DATABASE_PASSWORD}@127.0.0.1:1/gatehouse",
            "STARTUP_CONNECT_TIMEOUT_SECONDS": "0.3",
        },
        "DATABASE_URL",
    ),
    "a bad redis url": ({"REDIS_URL": "localhost:6379"}, "REDIS_URL"),
    "an unreadable key file": (
        {"JWT_ALGORITHM": "ES256", "JWT_PRIVATE_KEY_FILE": "missing.pem"},
        "JWT_PRIVATE_KEY_FILE",
    ),
    "a bad rate limit": ({"LOGIN_RATE_LIMIT": "five a minute"}, "LOGIN_RATE_LIMIT"),
}


@pytest.mark.parametrize("command", COMMANDS, ids=lambda command: command[0])
@pytest.mark.parametrize("case", list(CASES))
def test_a_refused_setting_is_told_in_a_few_lines_naming_it_with_exit_status_2(
    case: str, command: list[str], tmp_path: Path
):
    settings, setting = CASES[case]

    result = gatehouse(*command, workdir=tmp_path, env=settings)

    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2, result.stderr
    assert 1 <= len(lines) <= 5, result.stderr
    assert setting in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert DATABASE_PASSWORD not in result.stderr + result.stdout


def test_an_unreachable_database_is_named_by_its_host_and_port(tmp_path: Path):
    settings, _ = CASES["an unreachable database"]

    result = gatehouse("migrate", workdir=tmp_path, env=settings)

    assert result.returncode == 2
    assert "127.0.0.1:1" in result.stderr
    assert "STARTUP_CONNECT_TIMEOUT_SECONDS" in result.stderr


def test_a_bad_redis_url_is_not_reported_as_the_rate_limit_storage(tmp_path: Path):
    result = gatehouse("check-config", workdir=tmp_path, env={"REDIS_URL": "http://cache.internal:6379"})

    assert result.returncode == 2
    assert "REDIS_URL" in result.stderr
    assert "RATE_LIMIT_STORAGE_URI" not in result.stderr


def test_the_example_secret_refusal_says_how_to_generate_one(tmp_path: Path):
    result = gatehouse("check-config", workdir=tmp_path, env={"SECRET_KEY": "change-me-to-a-long-random-string"})

    assert result.returncode == 2
    assert "secrets.token_urlsafe(48)" in result.stderr
