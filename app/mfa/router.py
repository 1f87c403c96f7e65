"""`/users/me/mfa`: the caller's own second factor. Changing it needs an access token (an API key
-> 403 API_KEY_NOT_ALLOWED); reading it takes either credential."""

from __future__ import annotations

from fastapi import APIRouter, status

from app.http.caller import CurrentCaller, LoggedInCaller
from app.http.responses_doc import error_responses
from app.mfa.dependencies import MfaServiceDep
from app.mfa.errors import MfaAlreadyEnabled, MfaCodeInvalid, MfaNotEnabled, MfaNotEnrolled
from app.mfa.schemas import CodeBody, DisableBody, MfaStatusRead, RecoveryCodes, TotpEnrolment
from app.users.dependencies import LoggedInUser
from app.users.errors import CurrentPasswordInvalid

router = APIRouter(prefix="/users/me/mfa", tags=["mfa"])


@router.get("", response_model=MfaStatusRead)
async def read_mfa(caller: CurrentCaller, mfa: MfaServiceDep) -> MfaStatusRead:
    """Whether a second factor is enabled (a pending, unconfirmed one does not count)."""
    found = await mfa.status(user_id=caller.id)
    return MfaStatusRead(
        enabled=found.enabled,
        methods=found.methods,
        enrolled_at=found.enrolled_at,
        recovery_codes_left=found.recovery_codes_left,
    )


@router.post(
    "/totp",
    response_model=TotpEnrolment,
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(MfaAlreadyEnabled),
)
async def enrol_totp(user: LoggedInUser, mfa: MfaServiceDep) -> TotpEnrolment:
    """Start enrolling an authenticator app: scan `qr_svg` (or type `secret`), then confirm with a
    code. Replaces a pending factor; once one is confirmed -> 409 MFA_ALREADY_ENABLED."""
    enrolment = await mfa.enrol(user=user)
    return TotpEnrolment(secret=enrolment.secret, otpauth_uri=enrolment.otpauth_uri, qr_svg=enrolment.qr_svg)


@router.post(
    "/totp/confirm",
    response_model=RecoveryCodes,
    responses=error_responses(MfaCodeInvalid, MfaNotEnrolled, MfaAlreadyEnabled),
)
async def confirm_totp(data: CodeBody, user: LoggedInUser, mfa: MfaServiceDep) -> RecoveryCodes:
    """Enable the pending factor with a code from the app; answers ten recovery codes, shown once."""
    return RecoveryCodes(recovery_codes=await mfa.confirm(user=user, code=data.code))


@router.post("/recovery-codes", response_model=RecoveryCodes, responses=error_responses(MfaCodeInvalid, MfaNotEnabled))
async def regenerate_recovery_codes(data: CodeBody, user: LoggedInUser, mfa: MfaServiceDep) -> RecoveryCodes:
    """Ten new recovery codes for a code from the app; the old ones stop working."""
    return RecoveryCodes(recovery_codes=await mfa.regenerate_recovery_codes(user=user, code=data.code))


@router.delete(
    "",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=error_responses(CurrentPasswordInvalid, MfaCodeInvalid, MfaNotEnabled),
)
async def disable_mfa(data: DisableBody, user: LoggedInUser, caller: LoggedInCaller, mfa: MfaServiceDep) -> None:
    """Remove the second factor and its recovery codes, with the current password and a `code` or
    a `recovery_code`. Every other session of yours ends; this one stays."""
    await mfa.disable(
        user=user,
        current_password=data.current_password,
        code=data.code,
        recovery_code=data.recovery_code,
        keep_session=caller.session_id,
    )
