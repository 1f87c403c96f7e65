"""What the second-factor routes take and answer."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

# A TOTP code is 6 digits and a recovery code 11 characters; anything longer is refused unread.
Code = Field(min_length=1, max_length=64)


class TotpEnrolment(BaseModel):
    secret: str = Field(description="The base32 TOTP secret (160 bits), for typing into an app.")
    otpauth_uri: str = Field(description="The otpauth:// URI the QR code holds.")
    qr_svg: str = Field(description="The QR code of `otpauth_uri`, as an SVG document.")


class CodeBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Code


class RecoveryCodes(BaseModel):
    recovery_codes: list[str] = Field(description="Ten single-use recovery codes, shown only in this answer.")


class MfaStatusRead(BaseModel):
    enabled: bool
    methods: list[str]
    enrolled_at: datetime | None
    recovery_codes_left: int


class DisableBody(BaseModel):
    """A TOTP `code` or a `recovery_code`, and the current password."""

    model_config = ConfigDict(extra="forbid")

    code: str | None = Field(default=None, max_length=64)
    recovery_code: str | None = Field(default=None, max_length=64)
    current_password: str = Field(max_length=1024)
