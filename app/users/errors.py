"""Errors of the users domain. Codes match fastapi-users' where it has one for the same case."""

from __future__ import annotations

from typing import Any, ClassVar

from app.core.errors import Conflict, DomainError, NotFound


class UserNotFound(NotFound):
    code = "USER_NOT_FOUND"
    message = "No user with this id."


class EmailAlreadyUsed(DomainError):
    code = "UPDATE_USER_EMAIL_ALREADY_EXISTS"
    message = "Another account already uses this email."


class CurrentPasswordInvalid(DomainError):
    code = "CURRENT_PASSWORD_INVALID"
    message = "This change needs your current password in current_password, and it was missing or wrong."


class EmailChangeBadToken(DomainError):
    code = "EMAIL_CHANGE_BAD_TOKEN"
    message = "This email change link is invalid, expired or already used."


class UserAlreadyExists(DomainError):
    code = "REGISTER_USER_ALREADY_EXISTS"
    message = "An account with this email already exists."


class LastAdminError(Conflict):
    code = "LAST_ADMIN"
    message = "This is the last active admin: promote another admin first."


class PasswordRejected(DomainError):
    """The password policy refused a password; fastapi-users' body shape, with the reason.

    `reason` is a code for the rules that have one (`PASSWORD_TOO_COMMON`,
    `PASSWORD_CONTAINS_CONTEXT`), else the sentence itself; `message` is always the sentence."""

    code = "UPDATE_USER_INVALID_PASSWORD"
    create_code: ClassVar[str] = "REGISTER_INVALID_PASSWORD"

    def __init__(self, message: str, *, reason: str | None = None, creating: bool = False) -> None:
        super().__init__(message)
        self.reason = reason or message
        self.creating = creating

    def body(self) -> dict[str, Any]:
        code = self.create_code if self.creating else self.code
        return {"detail": {"code": code, "reason": self.reason}, "message": self.detail_message}


class SearchTermTooShort(DomainError):
    """A part of an email of 1 or 2 characters: no trigram index can find it, and reading every
    account to look for it would cost a million rows."""

    code = "QUERY_TOO_SHORT"
    message = "Search for at least 3 characters of the email."
