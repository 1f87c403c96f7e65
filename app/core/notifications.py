"""Where account messages leave the service: the mail outbox seam.

Domains never send mail. They put a message into the outbox (`Outbox.enqueue`) inside the same
database transaction as the change that causes it, so a change that rolls back sends nothing and
a committed one always sends. The mail domain (`app.mail`) implements the outbox, renders the
templates and delivers in the background; this module only names the kinds of message and the
seam, so every layer can use it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession


class MailKind(StrEnum):
    """One kind of message: its templates are named after it (`app/mail/templates/<kind>.*`)."""

    VERIFY_EMAIL = "verify_email"  # a link that verifies the address
    RESET_PASSWORD = "reset_password"  # a link that sets a new password
    CONFIRM_EMAIL_CHANGE = "confirm_email_change"  # to the new address: a link that applies the change
    EMAIL_CHANGE_REQUESTED = "email_change_requested"  # to the old address: a notice, no link
    EMAIL_CHANGED = "email_changed"  # to the old address, once the change applied
    PASSWORD_CHANGED = "password_changed"
    PASSWORD_RESET = "password_reset"
    API_KEY_CREATED = "api_key_created"
    ACCOUNT_DEACTIVATED = "account_deactivated"
    ACCOUNT_REACTIVATED = "account_reactivated"


# The kinds whose message carries a link with a token (the others are notices).
LINK_KINDS = frozenset({MailKind.VERIFY_EMAIL, MailKind.RESET_PASSWORD, MailKind.CONFIRM_EMAIL_CHANGE})


class Outbox(Protocol):
    def enqueue(
        self,
        db: AsyncSession,
        *,
        kind: MailKind,
        to: str,
        token: str | None = None,
        details: Mapping[str, str] | None = None,
    ) -> None:
        """Add a message to `db`'s transaction; it is sent once, and only if, that transaction commits.
        `token` fills the kind's link; `details` are shown in the message (never a secret)."""
        ...

    def enqueue_soon(
        self,
        *,
        kind: MailKind,
        to: str,
        token: str | None = None,
        details: Mapping[str, str] | None = None,
        also: Callable[[AsyncSession], None] | None = None,
    ) -> None:
        """Queue a message in a transaction of its own, after the request has been answered: for
        messages that depend on no change (a reset link), so that the answer takes the same time
        whether or not a message is queued. `also` adds rows to that transaction (its audit event)."""
        ...

    def wake_after_commit(self, db: AsyncSession) -> None:
        """Let the sender look for due messages as soon as `db` commits."""
        ...
