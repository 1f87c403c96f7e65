"""What a password must be: long enough, not absurdly long, and not the account's email."""

from __future__ import annotations

from app.users.errors import PasswordRejected

PASSWORD_MIN_LENGTH = 12
PASSWORD_MAX_LENGTH = 256


def check_password(password: str, *, email: str | None, creating: bool = False) -> None:
    """Raise `PasswordRejected` with the reason when the policy refuses `password`."""
    if len(password) < PASSWORD_MIN_LENGTH:
        raise PasswordRejected(f"Password must be at least {PASSWORD_MIN_LENGTH} characters long.", creating=creating)
    if len(password) > PASSWORD_MAX_LENGTH:
        raise PasswordRejected(f"Password must be at most {PASSWORD_MAX_LENGTH} characters long.", creating=creating)
    if email and password.strip().lower() == email.lower():
        raise PasswordRejected("Password must not be the email address.", creating=creating)
