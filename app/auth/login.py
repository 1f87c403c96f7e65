"""`POST /auth/jwt/login`, step by step, in the order they happen.

fastapi-users' login route drives it (through `app.auth.adapter`): its `UserManager.authenticate`
runs steps 2 to 5, its backend's `login` runs steps 6 and 7.

1. Rate limit: the `/auth` router's dependency (`app.http.ratelimit.enforce_rate_limit`) counts
   the request per client before anything else runs; over the limit it is a 429 and costs nothing.
2. Lockout state of the email: a locked email is refused whatever the password, after a dummy
   verification, so that a lock never confirms a right guess.
3. Verification of the password, or of a dummy hash when no account has this email: every
   refusal costs one verification and the same reads, so neither answer nor timing tells an
   unknown email, a wrong password, an inactive account and a lock apart.
4. A failure is counted (and may lock the email); a success clears the streak.
5. With REQUIRE_VERIFIED_EMAIL, an account whose address is not verified stops here (400
   LOGIN_USER_NOT_VERIFIED): the password was right, but no session starts and the streak of
   failures is not cleared. A hash made with weaker parameters than today's is replaced by a new
   one. An account with a second factor stops here: 403 MFA_REQUIRED with an `mfa_token`, and the
   streak is not cleared; `POST /auth/jwt/mfa` (`app.auth.mfa_login`) completes the login.
6. A login session starts, with its first refresh token.
7. An access token naming the session is issued.

Before step 2 the request takes its place among the worker's password operations
(`PasswordHasher.admission`): with too many waiting it answers 503 SERVICE_BUSY at once, before
touching the database. The account and the lockout are read first and the transaction ends before
the password is verified, so no database connection waits on the hash.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.recorder import record_event
from app.audit.types import Actor, EventType, LoginFailure
from app.auth.errors import InvalidCredentials, UserNotVerified
from app.auth.schemas import TokenResponse
from app.core.access_tokens import AccessTokenCodec
from app.core.errors import ServiceBusy
from app.core.identity import ClientInfo
from app.core.metrics import LOGIN
from app.core.passwords import PasswordHasher
from app.core.text import is_storable
from app.db.base import utcnow
from app.lockout.service import LockoutService, LockoutState
from app.mfa.errors import MfaRequired
from app.mfa.service import MfaService
from app.sessions.service import Grant, SessionService
from app.users.models import User
from app.users.service import UserService


class PasswordLogin:
    def __init__(
        self,
        *,
        db: AsyncSession,
        passwords: PasswordHasher,
        users: UserService,
        lockouts: LockoutService,
        sessions: SessionService,
        codec: AccessTokenCodec,
        mfa: MfaService | None = None,
        require_verified: bool = False,
    ) -> None:
        self.mfa = mfa
        self.db = db
        self.passwords = passwords
        self.users = users
        self.lockouts = lockouts
        self.sessions = sessions
        self.codec = codec
        self.require_verified = require_verified

    async def authenticate(self, *, email: str, password: str) -> User:
        """Steps 2 to 5: the account for these credentials, or `InvalidCredentials` (a lock adds
        `Retry-After`). An email without an account is counted and locked like one with one."""
        try:
            with self.passwords.admission():
                return await self._authenticate(email=email, password=password)
        except (ServiceBusy, PoolTimeout):  # the hash queue is full, or no connection came in time
            LOGIN["busy"].inc()
            raise

    async def _authenticate(self, *, email: str, password: str) -> User:
        if not is_storable(email) or not is_storable(password):
            # Text no account can hold (a lone surrogate, NUL): a wrong login, costing the same.
            await self.passwords.burn_verify("-")
            if is_storable(email):
                await self._failed(email=email, user_id=None, reason=LoginFailure.BAD_CREDENTIALS, commit=True)
            LOGIN["bad_credentials"].inc()
            raise InvalidCredentials()
        user = await self.users.get_by_email(email=email)
        lockout = await self.lockouts.state(email=email)
        await self.db.commit()  # nothing holds a connection while the hash runs
        user_id = user.id if user is not None else None
        if lockout.is_locked(now := utcnow()):  # step 2
            await self.passwords.burn_verify(password)
            await self._failed(email=email, user_id=user_id, reason=LoginFailure.LOCKED, commit=True)
            LOGIN["locked"].inc()
            raise InvalidCredentials(headers=_retry_after(lockout, now))
        if user is None:  # step 3
            await self.passwords.burn_verify(password)
            verified, new_hash = False, None
        else:
            verified, new_hash = await self.passwords.verify_async(password, user.hashed_password)
        if user is None or not verified or not user.is_active:  # step 4
            reason = LoginFailure.INACTIVE if user is not None and verified else LoginFailure.BAD_CREDENTIALS
            await self._failed(email=email, user_id=user_id, reason=reason, commit=False)
            failed = await self.lockouts.record_failure(email=email, user_id=user_id)  # commits the event too
            LOGIN["bad_credentials"].inc()
            raise InvalidCredentials(headers=_retry_after(failed, utcnow()))
        if self.require_verified and not user.is_verified:  # REQUIRE_VERIFIED_EMAIL: no tokens yet
            await self._failed(email=email, user_id=user.id, reason=LoginFailure.UNVERIFIED, commit=True)
            LOGIN["unverified"].inc()
            raise UserNotVerified()
        if user.mfa_enabled and self.mfa is not None:  # only the second step clears the streak
            if new_hash is not None:
                await self.users.rehash(user=user, hashed_password=new_hash)
            # Recorded with the challenge, which commits it.
            record_event(self.db, EventType.LOGIN_MFA_REQUIRED, actor=Actor.user(user.id), target_user_id=user.id)
            challenge = await self.mfa.challenge(user=user)  # bound to the (new) password hash
            LOGIN["mfa_required"].inc()
            raise MfaRequired(mfa_token=challenge.mfa_token, expires_in=challenge.expires_in)
        if lockout.failed_count:
            await self.lockouts.clear(email=email)
        if new_hash is not None:  # step 5
            await self.users.rehash(user=user, hashed_password=new_hash)
        return user

    async def _failed(self, *, email: str, user_id: uuid.UUID | None, reason: LoginFailure, commit: bool) -> None:
        """`login.failed`, in a transaction of its own (a failure changes nothing else but the streak)."""
        actor, details = self.lockouts.audit_subject(email=email, user_id=user_id)
        record_event(
            self.db, EventType.LOGIN_FAILED, actor=actor, target_user_id=user_id, details={"reason": reason, **details}
        )
        if commit:
            await self.db.commit()

    async def start_session(self, *, user: User, client: ClientInfo) -> TokenResponse:
        """Steps 6 and 7; `login.succeeded` commits with the session."""
        grant = await self.sessions.start(user_id=user.id, client=client, role=user.role, record=succeeded(user.id))
        tokens = self.tokens_for(grant)
        LOGIN["succeeded"].inc()
        return tokens

    def tokens_for(self, grant: Grant) -> TokenResponse:
        """The access token of a session that has just issued a refresh token (login or refresh)."""
        issued = self.codec.issue(
            user_id=grant.user_id, session_id=grant.session_id, amr=grant.amr, role=grant.role and str(grant.role)
        )
        return TokenResponse(access_token=issued.token, expires_in=issued.expires_in, refresh_token=grant.refresh_token)


def succeeded(user_id: uuid.UUID, *, mfa_method: str | None = None) -> Callable[[AsyncSession, Grant], None]:
    """The events of a completed login, added to the transaction that starts its session."""

    def record(db: AsyncSession, grant: Grant) -> None:
        actor, details = Actor.user(user_id), {"session_id": grant.session_id, "amr": list(grant.amr)}
        if mfa_method is not None:
            record_event(
                db, EventType.MFA_SUCCEEDED, actor=actor, target_user_id=user_id, details={"method": mfa_method}
            )
        record_event(db, EventType.LOGIN_SUCCEEDED, actor=actor, target_user_id=user_id, details=details)

    return record


def _retry_after(state: LockoutState, now: datetime) -> dict[str, str] | None:
    return {"Retry-After": str(state.retry_after(now))} if state.is_locked(now) else None
