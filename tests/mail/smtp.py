"""A real SMTP server in the test process (aiosmtpd), keeping every message it receives."""

from __future__ import annotations

import asyncio
import socket
import threading
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Inbox:
    """aiosmtpd's handler: parses each message it accepts, after `accept_seconds` (a slow server)."""

    def __init__(self, accept_seconds: float = 0) -> None:
        self.messages: list[EmailMessage] = []
        self.accept_seconds = accept_seconds
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.accept_seconds:
            await asyncio.sleep(self.accept_seconds)
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        with self._lock:
            self.messages.append(message)
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        with self._lock:
            return [message for message in self.messages if message["To"] == address]


class SmtpServer:
    """Started and stopped at will on one port, as a mail server that goes down and comes back."""

    def __init__(self, *, accept_seconds: float = 0) -> None:
        self.port = free_port()
        self.inbox = Inbox(accept_seconds)
        self._controller: Controller | None = None

    def start(self) -> None:
        self._controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def settings(self) -> dict[str, object]:
        return {
            "mail_backend": "smtp",
            "smtp_host": "127.0.0.1",
            "smtp_port": self.port,
            "smtp_security": "none",
            "smtp_timeout_seconds": 5,
            "mail_from": "Gatehouse <no-reply@gatehouse.test>",
        }
