"""What a password must be: long enough, not absurdly long, printable text, not the account's email.

Lengths are counted after NFKC normalisation, the form that is hashed.
"""

from __future__ import annotations

from app.core.text import has_control_characters, is_storable, normalise_password
from app.users.errors import PasswordRejected

PASSWORD_MIN_LENGTH = 12
PASSWORD_MAX_LENGTH = 256


def check_password(password: str, *, email: str | None, creating: bool = False) -> None:
    """Raise `PasswordRejected` with the reason when the policy refuses `password`."""
    if not is_storable(password) or has_control_characters(password):
        raise PasswordRejected(
            "Password must be printable text: no control characters (such as NUL, tab or newline) "
            "and no lone surrogates.",
            creating=creating,
        )
    password = normalise_password(password)
    if len(password) < PASSWORD_MIN_LENGTH:
        raise PasswordRejected(f"Password must be at least {PASSWORD_MIN_LENGTH} characters long.", creating=creating)
    if len(password) > PASSWORD_MAX_LENGTH:
        raise PasswordRejected(f"Password must be at most {PASSWORD_MAX_LENGTH} characters long.", creating=creating)
    if email and password.strip().lower() == email.lower():
        raise PasswordRejected("Password must not be the email address.", creating=creating)
