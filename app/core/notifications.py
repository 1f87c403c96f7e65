"""Where account messages (password reset, email verification) leave the service.

Gatehouse issues the tokens; delivering them is the deployment's job (mail, a queue, a webhook).
`AccountNotifier` is that seam, passed to `create_app(notifier=...)`. The default one records that
a message is due, without the token: tokens are credentials and never go to the log.
"""

from __future__ import annotations

import logging
import uuid
from typing import Protocol

logger = logging.getLogger(__name__)


class Recipient(Protocol):
    """The account a message is for (the user row satisfies it)."""

    @property
    def id(self) -> uuid.UUID: ...

    @property
    def email(self) -> str: ...


class AccountNotifier(Protocol):
    async def password_reset_requested(self, *, user: Recipient, token: str) -> None: ...

    async def verification_requested(self, *, user: Recipient, token: str) -> None: ...


class LoggingNotifier:
    async def password_reset_requested(self, *, user: Recipient, token: str) -> None:
        logger.info("password reset requested for user id=%s; connect an AccountNotifier to deliver it", user.id)

    async def verification_requested(self, *, user: Recipient, token: str) -> None:
        logger.info("verification requested for user id=%s; connect an AccountNotifier to deliver it", user.id)
