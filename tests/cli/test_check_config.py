"""`gatehouse check-config`: what the service would use, secrets masked; 0 when it would start."""

from __future__ import annotations

from pathlib import Path

from tests.cli.support import gatehouse

SECRET = "a-secret-key-that-must-never-be-printed-0123456789"
ADMIN_PASSWORD = "first-admin-password-never-shown"
REDIS_PASSWORD = "redis-password-never-shown"
SMTP_PASSWORD = "smtp-password-never-shown"
DATABASE_PASSWORD = "database-password-never-shown"


def test_check_config_prints_the_settings_with_every_secret_masked(tmp_path: Path):
    result = gatehouse(
        "check-config",
        workdir=tmp_path,
        env={
            "SECRET_KEY": SECRET,
            "FIRST_ADMIN_EMAIL": "root@example.com",
            "FIRST_ADMIN_PASSWORD": ADMIN_PASSWORD,
            # Nothing listens on port 1: Redis is a warning, not a refusal.
            "REDIS_URL": f"redis://:{REDIS_PASSWORD}@127.0.0.1:1/0",
            "MAIL_BACKEND": "smtp",
            "SMTP_HOST": "127.0.0.1",
            "MAIL_FROM": "auth@example.com",
            "SMTP_PASSWORD": SMTP_PASSWORD,
        },
    )

    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "FIRST_ADMIN_EMAIL=root@example.com" in result.stdout
    assert "SECRET_KEY=***" in result.stdout
    assert "REDIS_URL=redis://:***@127.0.0.1:1/0" in result.stdout
    assert "SMTP_PASSWORD=***" in result.stdout
    for secret in (SECRET, ADMIN_PASSWORD, REDIS_PASSWORD, SMTP_PASSWORD):
        assert secret not in output


def test_an_unreachable_redis_is_a_warning_naming_redis_url(tmp_path: Path):
    result = gatehouse("check-config", workdir=tmp_path, env={"REDIS_URL": "redis://127.0.0.1:1/0"})

    assert result.returncode == 0, result.stderr
    assert "warning: REDIS_URL" in result.stderr


def test_the_database_password_is_masked_when_the_database_is_refused(tmp_path: Path):
    result = gatehouse(
        "check-config",
        workdir=tmp_path,
        env={
            "DATABASE_URL": f"postgresql+asyncpg://gatehouse:{DATABASE_PASSWORD}@127.0.0.1:1/gatehouse",
            "STARTUP_CONNECT_TIMEOUT_SECONDS": "0.2",
        },
    )

    assert result.returncode == 2
    assert "DATABASE_URL=postgresql+asyncpg://gatehouse:***@127.0.0.1:1/gatehouse" in result.stdout
    assert DATABASE_PASSWORD not in result.stdout + result.stderr


def test_production_on_sqlite_is_a_warning_that_postgresql_is_the_production_database(tmp_path: Path):
    result = gatehouse("check-config", workdir=tmp_path, env={"ENVIRONMENT": "production", "MAIL_BACKEND": "console"})

    assert result.returncode == 0, result.stderr
    assert "PostgreSQL is the production database" in result.stderr


def test_production_without_public_url_is_a_warning_naming_it(tmp_path: Path):
    env = {"ENVIRONMENT": "production", "MAIL_BACKEND": "console"}
    result = gatehouse("check-config", workdir=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert "warning: PUBLIC_URL is not set" in result.stderr

    result = gatehouse("check-config", workdir=tmp_path, env={**env, "PUBLIC_URL": "https://auth.example.com"})
    assert result.returncode == 0, result.stderr
    assert "PUBLIC_URL is not set" not in result.stderr


def test_several_workers_on_memory_storage_are_warned_about(tmp_path: Path):
    result = gatehouse("check-config", workdir=tmp_path, env={"WEB_CONCURRENCY": "3"})

    assert result.returncode == 0, result.stderr
    assert "every worker counts on its own" in result.stderr


def test_a_first_admin_password_that_start_up_would_refuse_is_a_problem(tmp_path: Path):
    result = gatehouse(
        "check-config", workdir=tmp_path, env={"FIRST_ADMIN_EMAIL": "root@example.com", "FIRST_ADMIN_PASSWORD": "short"}
    )

    assert result.returncode == 2
    assert "error: FIRST_ADMIN_EMAIL / FIRST_ADMIN_PASSWORD: the admin password is refused" in result.stderr
    assert "short" not in result.stderr.replace("FIRST_ADMIN", "")
