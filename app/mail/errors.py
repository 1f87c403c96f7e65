"""Errors of the mail domain."""

from __future__ import annotations

from app.core.errors import Conflict, NotFound


class MailNotFound(NotFound):
    code = "MAIL_NOT_FOUND"
    message = "No message with this id."


class MailAlreadySent(Conflict):
    code = "MAIL_ALREADY_SENT"
    message = "This message was sent and its body erased; it cannot be sent again."
