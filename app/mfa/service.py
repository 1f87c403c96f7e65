"""Enrolment, confirmation, recovery codes, disabling, and the second step of a login.

Every change to a user's factors writes `users.mfa_enabled` and an auth event in the same
transaction, so every worker's cached auth state learns of it (`app.authstate.changes`). A TOTP
code is accepted once: accepting one is a conditional `UPDATE` of the factor's last used time step
(`WHERE last_used_timecode < step`), and spending a recovery code or an `mfa_token` is a
conditional `UPDATE ... WHERE used_at IS NULL`, so of racing requests exactly one wins, on SQLite
and PostgreSQL alike, whatever the number of workers. Time is injected (`clock`) for the codes.
"""

from __future__ import annotations

import hmac
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import CursorResult, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.authstate.changes import AuthChange, ChangeKind, record_auth_events
from app.config import Settings
from app.core.passwords import PasswordHasher
from app.core.sealing import SecretBox
from app.core.secrets import KeyRing, SecretPurpose
from app.core.text import is_storable
from app.db.base import utcnow
from app.lockout.service import LockoutService
from app.mfa import recovery, totp
from app.mfa.errors import (
    MfaAlreadyEnabled,
    MfaCodeInvalid,
    MfaLoginCodeInvalid,
    MfaNotEnabled,
    MfaNotEnrolled,
    MfaTokenInvalid,
)
from app.mfa.models import MfaChallenge, MfaFactor, MfaRecoveryCode
from app.sessions.service import RevokedReason, end_user_sessions
from app.users.errors import CurrentPasswordInvalid
from app.users.models import User

Clock = Callable[[], float]
TOTP = "totp"
MFA_TOKEN_PREFIX = "gatehouse_mfa_"
MAX_FAILED_CODES = 5  # wrong codes an mfa_token survives


def system_clock() -> float:
    return time.time()


@dataclass(frozen=True, slots=True)
class Enrolment:
    secret: str
    otpauth_uri: str
    qr_svg: str


@dataclass(frozen=True, slots=True)
class MfaStatus:
    enabled: bool
    methods: list[str]
    enrolled_at: datetime | None
    recovery_codes_left: int


@dataclass(frozen=True, slots=True)
class Challenge:
    mfa_token: str
    expires_in: int


@dataclass(frozen=True, slots=True)
class SecondFactor:
    """A completed second step: whose login, and how it was authenticated (RFC 8176 `amr`)."""

    user: User
    amr: tuple[str, ...]


def _rowcount(result: Any) -> int:
    assert isinstance(result, CursorResult)
    return result.rowcount


class MfaService:
    def __init__(
        self,
        *,
        db: AsyncSession,
        settings: Settings,
        keys: KeyRing,
        passwords: PasswordHasher,
        lockouts: LockoutService,
        clock: Clock = system_clock,
    ) -> None:
        self.db = db
        self.settings = settings
        self.passwords = passwords
        self.lockouts = lockouts
        self.clock = clock
        self._box = SecretBox.from_secret(keys.secret(SecretPurpose.MFA_FACTOR_SECRET))
        self._codes = keys.hasher(SecretPurpose.MFA_RECOVERY_CODE)
        self._tokens = keys.hasher(SecretPurpose.MFA_TOKEN)

    # --- reading ----------------------------------------------------------------------------
    async def status(self, *, user_id: uuid.UUID) -> MfaStatus:
        factor = await self._factor(user_id)
        if factor is None or factor.confirmed_at is None:
            return MfaStatus(enabled=False, methods=[], enrolled_at=None, recovery_codes_left=0)
        left = await self.db.scalar(
            select(func.count())
            .select_from(MfaRecoveryCode)
            .where(MfaRecoveryCode.user_id == user_id, MfaRecoveryCode.used_at.is_(None))
        )
        return MfaStatus(enabled=True, methods=[TOTP], enrolled_at=factor.confirmed_at, recovery_codes_left=left or 0)

    # --- enrolment --------------------------------------------------------------------------
    async def enrol(self, *, user: User) -> Enrolment:
        """A new pending TOTP factor, replacing a pending one; 409 once one is confirmed."""
        try:
            return await self._enrol(user)
        except IntegrityError:  # a parallel first enrolment inserted the row: replace its secret
            await self.db.rollback()
            await self.db.refresh(user)
            return await self._enrol(user)

    async def _enrol(self, user: User) -> Enrolment:
        factor = await self._factor(user.id)
        if factor is not None and factor.confirmed_at is not None:
            raise MfaAlreadyEnabled()
        if factor is None:
            factor = MfaFactor(id=uuid.uuid4(), user_id=user.id, kind=TOTP)
            self.db.add(factor)
        secret = totp.new_secret()
        factor.secret_sealed = self._seal(factor, secret)
        factor.created_at = utcnow()
        factor.last_used_timecode = None
        self._changed(user.id)
        await self.db.commit()
        uri = totp.provisioning_uri(secret, account=user.email, issuer=self.settings.mfa_issuer)
        return Enrolment(secret=secret, otpauth_uri=uri, qr_svg=totp.qr_svg(uri))

    async def confirm(self, *, user: User, code: str) -> list[str]:
        """The first right code enables the factor; answers the ten recovery codes."""
        factor = await self._factor(user.id)
        if factor is None:
            raise MfaNotEnrolled()
        if factor.confirmed_at is not None:
            raise MfaAlreadyEnabled()
        if not await self._accept_totp(factor, code):
            await self.db.rollback()
            raise MfaCodeInvalid()
        factor.confirmed_at = utcnow()
        user.mfa_enabled = True
        codes = await self._replace_recovery_codes(user.id)
        self._changed(user.id)
        await self.db.commit()
        return codes

    async def regenerate_recovery_codes(self, *, user: User, code: str) -> list[str]:
        factor = await self._enabled_factor(user.id)
        if not await self._accept_totp(factor, code):
            await self.db.rollback()
            raise MfaCodeInvalid()
        codes = await self._replace_recovery_codes(user.id)
        self._changed(user.id)
        await self.db.commit()
        return codes

    async def disable(
        self,
        *,
        user: User,
        current_password: str,
        code: str | None,
        recovery_code: str | None,
        keep_session: uuid.UUID | None,
    ) -> None:
        """Remove the user's factors with their password and a code; ends their other sessions."""
        await self._enabled_factor(user.id)
        if not is_storable(current_password):
            raise CurrentPasswordInvalid()
        hashed = user.hashed_password
        await self.db.commit()  # no connection is held while the password is verified
        with self.passwords.admission():
            verified, _ = await self.passwords.verify_async(current_password, hashed)
        if not verified:
            raise CurrentPasswordInvalid()
        factor = await self._enabled_factor(user.id)
        if code:
            accepted = await self._accept_totp(factor, code)
        else:
            accepted = bool(recovery_code) and await self._spend_recovery_code(user.id, recovery_code or "")
        if not accepted:
            await self.db.rollback()
            raise MfaCodeInvalid()
        await self._remove_all(user, reason=RevokedReason.MFA_CHANGED, keep_session=keep_session)
        await self.db.commit()

    async def reset(self, *, user: User) -> None:
        """An admin removes the user's factors (a lost device); every session of the user ends."""
        await self._remove_all(user, reason=RevokedReason.ADMIN, keep_session=None)
        await self.db.commit()

    # --- login ------------------------------------------------------------------------------
    async def challenge(self, *, user: User) -> Challenge:
        """After the right password: an `mfa_token` for the second step, stored as its hash."""
        now = utcnow()
        await self.db.execute(
            delete(MfaChallenge).where(MfaChallenge.user_id == user.id, MfaChallenge.expires_at <= now)
        )
        token = MFA_TOKEN_PREFIX + secrets.token_urlsafe(32)
        ttl = self.settings.mfa_token_ttl_seconds
        self.db.add(
            MfaChallenge(
                id=uuid.uuid4(),
                user_id=user.id,
                token_hash=self._token_hash(token),
                password_fingerprint=self._fingerprint(user),
                created_at=now,
                expires_at=now + timedelta(seconds=ttl),
                failed_attempts=0,
            )
        )
        await self.db.commit()
        return Challenge(mfa_token=token, expires_in=ttl)

    async def redeem(self, *, mfa_token: str, otp: str | None, recovery_code: str | None) -> SecondFactor:
        """The second step: the account of a live `mfa_token` and a right code, or an error. A
        wrong code counts against the token (it dies at MAX_FAILED_CODES) and the account's
        lockout; when the account locks, its outstanding tokens die."""
        if not all(is_storable(text) for text in (mfa_token, otp or "", recovery_code or "")):
            raise MfaTokenInvalid()
        now = utcnow()
        challenge = await self.db.scalar(
            select(MfaChallenge).where(MfaChallenge.token_hash == self._token_hash(mfa_token))
        )
        if (
            challenge is None
            or challenge.used_at is not None
            or challenge.expires_at <= now
            or challenge.failed_attempts >= MAX_FAILED_CODES
        ):
            raise MfaTokenInvalid()
        user = await self.db.get(User, challenge.user_id)
        if (
            user is None
            or not user.is_active
            or not hmac.compare_digest(self._fingerprint(user), challenge.password_fingerprint)
        ):
            raise MfaTokenInvalid()
        lock = await self.lockouts.state(email=user.email)
        # A lock that ends after the token was issued began after it (a locked login gets no token).
        if lock.locked_until is not None and lock.locked_until > challenge.created_at:
            raise MfaTokenInvalid()
        factor = await self._factor(user.id)
        if factor is None or factor.confirmed_at is None:
            raise MfaTokenInvalid()

        amr: tuple[str, ...] | None = None
        if otp:
            if await self._accept_totp(factor, otp):
                amr = ("pwd", "otp")
        elif recovery_code and await self._spend_recovery_code(user.id, recovery_code):
            amr = ("pwd", "mfa")
        if amr is None:
            await self._count_wrong_code(challenge.id, user_id=user.id, email=user.email)
            raise MfaLoginCodeInvalid()
        spent = await self.db.execute(
            update(MfaChallenge)
            .where(
                MfaChallenge.id == challenge.id,
                MfaChallenge.used_at.is_(None),
                MfaChallenge.failed_attempts < MAX_FAILED_CODES,
            )
            .values(used_at=now)
            .execution_options(synchronize_session=False)
        )
        if _rowcount(spent) != 1:  # spent or killed by a parallel request
            await self.db.rollback()
            raise MfaTokenInvalid()
        await self.db.commit()
        return SecondFactor(user=user, amr=amr)

    async def _count_wrong_code(self, challenge_id: uuid.UUID, *, user_id: uuid.UUID, email: str) -> None:
        await self.db.rollback()  # (expires the loaded rows: only plain values from here on)
        await self.db.execute(
            update(MfaChallenge)
            .where(MfaChallenge.id == challenge_id)
            .values(failed_attempts=MfaChallenge.failed_attempts + 1)
            .execution_options(synchronize_session=False)
        )
        await self.db.commit()
        state = await self.lockouts.record_failure(email=email, user_id=user_id)  # commits
        if state.is_locked(utcnow()):
            await self.db.execute(delete(MfaChallenge).where(MfaChallenge.user_id == user_id))
            await self.db.commit()

    # --- helpers ----------------------------------------------------------------------------
    async def _factor(self, user_id: uuid.UUID) -> MfaFactor | None:
        factor: MfaFactor | None = await self.db.scalar(
            select(MfaFactor).where(MfaFactor.user_id == user_id, MfaFactor.kind == TOTP)
        )
        return factor

    async def _enabled_factor(self, user_id: uuid.UUID) -> MfaFactor:
        factor = await self._factor(user_id)
        if factor is None or factor.confirmed_at is None:
            raise MfaNotEnabled()
        return factor

    async def _accept_totp(self, factor: MfaFactor, code: str) -> bool:
        """Whether `code` is the factor's, within the skew, and newer than any code accepted
        before (then it is the last one accepted)."""
        timecode = totp.matching_timecode(self._open(factor), code.strip(), now=self.clock())
        if timecode is None:
            return False
        last = MfaFactor.last_used_timecode
        accepted = await self.db.execute(
            update(MfaFactor)
            .where(MfaFactor.id == factor.id, (last.is_(None)) | (last < timecode))
            .values(last_used_timecode=timecode)
            .execution_options(synchronize_session=False)
        )
        return _rowcount(accepted) == 1

    async def _spend_recovery_code(self, user_id: uuid.UUID, code: str) -> bool:
        if not is_storable(code):
            return False
        spent = await self.db.execute(
            update(MfaRecoveryCode)
            .where(
                MfaRecoveryCode.user_id == user_id,
                MfaRecoveryCode.code_hash == self._code_hash(user_id, code),
                MfaRecoveryCode.used_at.is_(None),
            )
            .values(used_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        return _rowcount(spent) == 1

    async def _replace_recovery_codes(self, user_id: uuid.UUID) -> list[str]:
        await self.db.execute(delete(MfaRecoveryCode).where(MfaRecoveryCode.user_id == user_id))
        codes = recovery.new_codes()
        now = utcnow()
        self.db.add_all(
            MfaRecoveryCode(id=uuid.uuid4(), user_id=user_id, code_hash=self._code_hash(user_id, code), created_at=now)
            for code in codes
        )
        return codes

    async def _remove_all(self, user: User, *, reason: RevokedReason, keep_session: uuid.UUID | None) -> None:
        for table in (MfaFactor, MfaRecoveryCode, MfaChallenge):
            await self.db.execute(delete(table).where(table.user_id == user.id))
        user.mfa_enabled = False
        self._changed(user.id)
        await end_user_sessions(self.db, user_id=user.id, reason=reason, keep=keep_session)

    def _changed(self, user_id: uuid.UUID) -> None:
        record_auth_events(self.db, [AuthChange(ChangeKind.USER, user_id)])

    def _seal(self, factor: MfaFactor, secret: str) -> str:
        return self._box.seal(secret, context=f"mfa-factor:{factor.id}:{factor.user_id}")

    def _open(self, factor: MfaFactor) -> str:
        return self._box.open(factor.secret_sealed, context=f"mfa-factor:{factor.id}:{factor.user_id}")

    def _code_hash(self, user_id: uuid.UUID, code: str) -> str:
        return self._codes.digest(f"{user_id}:{recovery.normalise(code)}")

    def _token_hash(self, token: str) -> str:
        return self._tokens.digest(f"token:{token}")

    def _fingerprint(self, user: User) -> str:
        return self._tokens.digest(f"password:{user.hashed_password}")
