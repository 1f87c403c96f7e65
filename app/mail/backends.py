"""How a message leaves the process: over SMTP (aiosmtplib), or written to the log (console)."""

from __future__ import annotations

import logging
from email.message import EmailMessage
from typing import Protocol

import aiosmtplib

from app.config import Settings

logger = logging.getLogger(__name__)

# The ports each SMTP_SECURITY uses when SMTP_PORT is unset: submission with STARTTLS, implicit
# TLS (RFC 8314), plain SMTP.
DEFAULT_PORTS = {"starttls": 587, "tls": 465, "none": 25}


class MailBackend(Protocol):
    async def send(self, message: EmailMessage) -> None:
        """Hand the message over, or raise: the sender then retries it later."""
        ...


class SmtpBackend:
    def __init__(self, settings: Settings) -> None:
        self.hostname = settings.smtp_host
        self.port = settings.smtp_port or DEFAULT_PORTS[settings.smtp_security]
        self.username = settings.smtp_username
        self.password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
        self.use_tls = settings.smtp_security == "tls"
        # `starttls` insists on it (aiosmtplib's default would carry on in plain text when the
        # server does not offer it); `none` never upgrades.
        self.start_tls = settings.smtp_security == "starttls"
        self.timeout = settings.smtp_timeout_seconds

    async def send(self, message: EmailMessage) -> None:
        await aiosmtplib.send(
            message,
            hostname=self.hostname,
            port=self.port,
            username=self.username,
            password=self.password if self.username else None,
            use_tls=self.use_tls,
            start_tls=self.start_tls,
            timeout=self.timeout,
        )


class ConsoleBackend:
    """Writes the whole message, links included, to the log at WARNING, which shows with Python's
    and uvicorn's default logging: for development, and for trying the flows without a mail server."""

    async def send(self, message: EmailMessage) -> None:
        text = message.get_body(preferencelist=("plain",))
        content = text.get_content() if text is not None else ""
        logger.warning("mail (MAIL_BACKEND=console) to %s: %s\n%s", message["To"], message["Subject"], content.rstrip())


def backend_from_settings(settings: Settings) -> MailBackend:
    if settings.mail_backend == "smtp":
        return SmtpBackend(settings)
    return ConsoleBackend()
