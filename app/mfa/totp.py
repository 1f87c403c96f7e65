"""TOTP (RFC 6238) with pyotp: 30-second steps, 6 digits, SHA-1 (what authenticator apps use),
and the enrolment QR code as SVG with segno."""

from __future__ import annotations

import hmac
import io

import pyotp
import segno

SECRET_LENGTH = 32  # base32 characters: 160 bits, RFC 4226's recommended length
CODE_DIGITS = 6
SKEW_STEPS = 1  # a code of the step before or after is accepted too


def new_secret() -> str:
    return pyotp.random_base32(length=SECRET_LENGTH)


def provisioning_uri(secret: str, *, account: str, issuer: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name=issuer)


def qr_svg(uri: str) -> str:
    out = io.BytesIO()
    segno.make(uri, error="m").save(out, kind="svg", xmldecl=False, scale=4, border=4)
    return out.getvalue().decode()


def matching_timecode(secret: str, code: str, *, now: float) -> int | None:
    """The time step whose code `code` is, within the allowed skew, or None. Every candidate is
    compared in constant time."""
    if len(code) != CODE_DIGITS or not code.isascii() or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    found = None
    for timecode in range(current - SKEW_STEPS, current + SKEW_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(timecode), code):
            found = timecode
    return found
