"""MAIL_BACKEND: console output that shows, production's refusal, links and templates."""

from __future__ import annotations

import logging
import subprocess
import sys
import textwrap

import pytest

from app.config import ConfigurationError, Settings
from app.core.notifications import MailKind
from app.mail.templates import Composer
from tests.factories import TEST_SECRET

STRONG_SECRET = TEST_SECRET


def settings(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def test_console_backend_prints_the_whole_message_with_default_logging(tmp_path):
    script = textwrap.dedent(
        """
        import asyncio
        from app.config import Settings
        from app.core.notifications import MailKind
        from app.core.secrets import KeyRing
        from app.mail.backends import ConsoleBackend
        from app.mail.crypto import BodyCipher
        from app.mail.sender import MailSender
        from app.mail.templates import Composer

        settings = Settings(_env_file=None, public_url="https://auth.example.com")
        parts = Composer(settings).render(MailKind.RESET_PASSWORD, to="ada@example.com", token="tok-123",
                                          details={"valid_for": "60 minutes"}).parts()
        sender = MailSender(settings=settings, database=None, backend=ConsoleBackend(),
                            cipher=BodyCipher(KeyRing("k" * 40)))
        asyncio.run(ConsoleBackend().send(sender._message("ada@example.com", parts)))
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert "https://auth.example.com/console/reset-password?token=tok-123" in result.stderr
    assert "ada@example.com" in result.stderr


def test_development_defaults_to_the_console_backend():
    assert settings().mail_backend == "console"


def test_production_refuses_to_start_without_mail_backend():
    with pytest.raises(ConfigurationError, match="MAIL_BACKEND") as refused:
        settings(environment="production", secret_key=STRONG_SECRET)

    assert "\n" not in str(refused.value)


def test_production_accepts_an_explicit_backend():
    assert settings(environment="production", secret_key=STRONG_SECRET, mail_backend="SMTP").mail_backend == "smtp"


async def test_console_backend_in_production_warns_at_start_up(database_url, caplog):
    from asgi_lifespan import LifespanManager

    from app.main import create_app

    production = settings(
        environment="production", secret_key=STRONG_SECRET, mail_backend="console", database_url=database_url
    )
    with caplog.at_level(logging.WARNING, logger="app.mail.service"):
        async with LifespanManager(create_app(production), startup_timeout=60, shutdown_timeout=60):
            pass

    assert any("MAIL_BACKEND=console in production" in record.getMessage() for record in caplog.records)


def test_links_default_to_the_console_pages_under_public_url():
    configured = settings(public_url="https://auth.example.com/")

    assert configured.verify_email_url == "https://auth.example.com/console/verify?token={token}"
    assert configured.reset_password_url == "https://auth.example.com/console/reset-password?token={token}"
    assert configured.confirm_email_change_url == "https://auth.example.com/console/confirm-email?token={token}"


def test_a_link_setting_without_its_token_is_refused():
    with pytest.raises(ConfigurationError, match="RESET_PASSWORD_URL"):
        settings(reset_password_url="https://app.example.com/reset")


def test_max_attempts_is_at_least_one():
    with pytest.raises(ValueError, match="mail_max_attempts"):
        settings(mail_max_attempts=0)


def test_html_part_escapes_what_it_shows():
    rendered = Composer(settings()).render(
        MailKind.API_KEY_CREATED, to="ada@example.com", details={"key_name": "<script>", "key_prefix": "gh_1"}
    )

    assert "<script>" not in rendered.html
    assert "&lt;script&gt;" in rendered.html
    assert '"<script>"' in rendered.text


def test_templates_dir_overrides_a_shipped_template(tmp_path):
    (tmp_path / "password_changed.subject.txt").write_text("Custom: {{ email }}")

    rendered = Composer(settings(mail_templates_dir=tmp_path)).render(MailKind.PASSWORD_CHANGED, to="ada@example.com")

    assert rendered.subject == "Custom: ada@example.com"
    assert "password" in rendered.text  # the other parts stay the shipped ones
