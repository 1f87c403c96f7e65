"""What a password must be (NIST SP 800-63B rev. 4, OWASP ASVS V2): printable text, long enough,
not absurdly long, not a common or breached password, and not made of the account's email or the
product's name.

Lengths are counted after NFKC normalisation, the form that is hashed. The last two rules compare
case-folded forms, and answer with a code in `reason` that clients can switch on:

* `PASSWORD_TOO_COMMON`: on the shipped list of common and breached passwords
  (`app.core.common_passwords`), after NFKC normalisation and case folding;
* `PASSWORD_CONTAINS_CONTEXT`: once its digits and symbols are removed (letters are kept) and its
  case folded, it is the email, the email's local part (when that has at least 4 letters) or the
  product name: `alexandra2024!!!!` for alexandra@example.com, `Gatehouse-1234`. A password that
  merely contains them (`Carol-new-password-77` for carol@example.com) passes.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

from app.config import Settings
from app.core.common_passwords import CommonPasswords, fold, shipped_common_passwords
from app.core.product import PRODUCT_NAME
from app.core.text import has_control_characters, is_storable, normalise_password
from app.users.errors import PasswordRejected

TOO_COMMON = "PASSWORD_TOO_COMMON"
CONTAINS_CONTEXT = "PASSWORD_CONTAINS_CONTEXT"
# A local part with fewer letters than this is not held against a password: `al@...` would
# otherwise refuse every password whose letters spell "al".
SHORTEST_LOCAL_PART = 4


def letters(text: str) -> str:
    """The letters of `text` (and their combining marks), case-folded: digits, punctuation,
    symbols and spaces removed."""
    return "".join(character for character in fold(text) if unicodedata.category(character)[0] in "LM")


@dataclass(frozen=True, slots=True)
class PasswordPolicy:
    min_length: int = 12
    max_length: int = 256
    product: str = PRODUCT_NAME
    # None: the shipped list, loaded at the first check of the process if start-up has not yet.
    common: CommonPasswords | None = field(default=None, compare=False)

    @classmethod
    def from_settings(cls, settings: Settings) -> PasswordPolicy:
        return cls(min_length=settings.password_min_length, max_length=settings.password_max_length)

    def check(self, password: str, *, email: str | None, creating: bool = False) -> None:
        """Raise `PasswordRejected` with the reason when the policy refuses `password` for the
        account whose email is `email`."""
        if not is_storable(password) or has_control_characters(password):
            raise PasswordRejected(
                "Password must be printable text: no control characters (such as NUL, tab or newline) "
                "and no lone surrogates.",
                creating=creating,
            )
        password = normalise_password(password)
        if len(password) < self.min_length:
            raise PasswordRejected(f"Password must be at least {self.min_length} characters long.", creating=creating)
        if len(password) > self.max_length:
            raise PasswordRejected(f"Password must be at most {self.max_length} characters long.", creating=creating)
        common = self.common if self.common is not None else shipped_common_passwords()
        if password in common:
            raise PasswordRejected(
                "This password is on a list of common and breached passwords; choose another.",
                reason=TOO_COMMON,
                creating=creating,
            )
        if self._is_context(password, email=email):
            raise PasswordRejected(
                f"Password must not be the email address, its name part or {self.product}, "
                "give or take digits and symbols.",
                reason=CONTAINS_CONTEXT,
                creating=creating,
            )

    def _is_context(self, password: str, *, email: str | None) -> bool:
        spelled = letters(password)
        if not spelled:
            return False
        context = {letters(self.product)}
        if email:
            context.add(letters(email))
            local_part = letters(email.rpartition("@")[0])
            if len(local_part) >= SHORTEST_LOCAL_PART:
                context.add(local_part)
        return spelled in context


DEFAULT_POLICY = PasswordPolicy()
