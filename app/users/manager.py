"""fastapi-users' user manager, extended through its seams.

fastapi-users hashes and verifies passwords synchronously inside its async methods. Every method
that touches a password is overridden here to await `PasswordHasher`'s thread pool instead, so a
login never freezes the other requests on the worker.

A new password ends the user's sessions in the same commit (all of them after a reset, all but
the caller's own after a change through `PATCH /users/me`), so tokens obtained with the old
password stop working.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Any

import jwt as pyjwt
from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordRequestForm
from fastapi_users import BaseUserManager, UUIDIDMixin, exceptions, schemas
from fastapi_users.jwt import decode_jwt, generate_jwt

from app.auth.errors import InvalidCredentials
from app.auth.passwords import PasswordHasher
from app.auth.secrets import derive_secret
from app.config import Settings
from app.db.base import utcnow
from app.lockout.service import LockoutService, LockoutState
from app.rbac.roles import Role
from app.sessions.service import RevokedReason, end_user_sessions
from app.users.database import UserDatabase, UserDatabaseDep
from app.users.models import User
from app.users.notifications import AccountNotifier

logger = logging.getLogger(__name__)

PASSWORD_MIN_LENGTH = 12
PASSWORD_MAX_LENGTH = 256


class UserManager(UUIDIDMixin, BaseUserManager[User, uuid.UUID]):
    password_helper: PasswordHasher
    user_db: UserDatabase

    def __init__(
        self,
        user_db: UserDatabase,
        *,
        settings: Settings,
        passwords: PasswordHasher,
        notifier: AccountNotifier,
    ) -> None:
        super().__init__(user_db, password_helper=passwords)
        self.settings = settings
        self.notifier = notifier
        self.lockouts = LockoutService(session=user_db.session, settings=settings)
        # Separate keys per token kind: a reset or verification token can never pass as another.
        self.reset_password_token_secret = derive_secret(settings, "reset-password-token")
        self.verification_token_secret = derive_secret(settings, "verify-email-token")

    # --- password policy -------------------------------------------------------------------
    async def validate_password(self, password: str, user: Any) -> None:
        if len(password) < PASSWORD_MIN_LENGTH:
            raise exceptions.InvalidPasswordException(
                reason=f"Password must be at least {PASSWORD_MIN_LENGTH} characters long."
            )
        if len(password) > PASSWORD_MAX_LENGTH:
            raise exceptions.InvalidPasswordException(
                reason=f"Password must be at most {PASSWORD_MAX_LENGTH} characters long."
            )
        email = getattr(user, "email", None)
        if email and password.strip().lower() == str(email).lower():
            raise exceptions.InvalidPasswordException(reason="Password must not be the email address.")

    # --- paths that hash or verify a password, moved off the event loop ----------------------
    async def create(
        self, user_create: schemas.BaseUserCreate, safe: bool = False, request: Request | None = None
    ) -> User:
        await self.validate_password(user_create.password, user_create)
        if await self.user_db.get_by_email(user_create.email) is not None:
            raise exceptions.UserAlreadyExists()
        user_dict = user_create.create_update_dict() if safe else user_create.create_update_dict_superuser()
        if safe:
            user_dict.pop("role", None)
        password = user_dict.pop("password")
        user_dict["hashed_password"] = await self.password_helper.hash_async(password)
        role = Role(user_dict.get("role", Role.USER))
        user_dict["role"] = role
        user_dict["is_superuser"] = role is Role.ADMIN
        created = await self.user_db.create(user_dict)
        await self.on_after_register(created, request)
        return created

    async def authenticate(self, credentials: OAuth2PasswordRequestForm) -> User:
        """The user for these credentials, or `InvalidCredentials`.

        Unknown emails, wrong passwords, inactive accounts and locked logins are one answer (a
        lock adds `Retry-After`), and every one of them costs exactly one password verification
        and the same database reads, so neither the answer nor its timing tells them apart. An
        email without an account is counted and locked like one with an account.
        """
        email = credentials.username
        user = await self.user_db.get_by_email(email)
        lockout = await self.lockouts.state(email=email)
        if lockout.is_locked(now := utcnow()):
            # Refused whatever the password: a lock must not confirm a right guess.
            await self.password_helper.burn_verify(credentials.password)
            raise InvalidCredentials(headers=_retry_after(lockout, now))
        if user is None:
            await self.password_helper.burn_verify(credentials.password)
            verified, new_hash = False, None
        else:
            verified, new_hash = await self.password_helper.verify_async(credentials.password, user.hashed_password)
        if user is None or not verified or not user.is_active:
            failed = await self.lockouts.record_failure(email=email)
            raise InvalidCredentials(headers=_retry_after(failed, utcnow()))
        if lockout.failed_count:
            await self.lockouts.clear(email=email)
        if new_hash is not None:
            await self.user_db.update(user, {"hashed_password": new_hash})
        return user

    async def prepare_changes(self, user: User, update_dict: dict[str, Any]) -> dict[str, Any]:
        """Validate an update and turn it into column values (hashing a new password)."""
        changes: dict[str, Any] = {}
        for field, value in update_dict.items():
            if value is None:
                continue
            if field == "email":
                if value == user.email:
                    continue
                if await self.user_db.get_by_email(value) is not None:
                    raise exceptions.UserAlreadyExists()
                changes["email"] = value
                changes["is_verified"] = False
            elif field == "password":
                await self.validate_password(value, _Candidate(update_dict.get("email") or user.email))
                changes["hashed_password"] = await self.password_helper.hash_async(value)
            elif field == "role":
                changes["role"] = Role(value)
                changes["is_superuser"] = Role(value) is Role.ADMIN
            else:
                changes[field] = value
        return changes

    async def update(
        self,
        user_update: schemas.CreateUpdateDictModel,
        user: User,
        safe: bool = False,
        request: Request | None = None,
        *,
        keep_session_id: uuid.UUID | None = None,
    ) -> User:
        """fastapi-users' update; a password change ends every session but `keep_session_id`."""
        data = user_update.create_update_dict() if safe else user_update.create_update_dict_superuser()
        updated = await self._update(user, data, keep_session_id=keep_session_id)
        await self.on_after_update(updated, data, request)
        return updated

    async def _update(
        self, user: User, update_dict: dict[str, Any], *, keep_session_id: uuid.UUID | None = None
    ) -> User:
        changes = await self.prepare_changes(user, update_dict)
        if "hashed_password" in changes:
            await end_user_sessions(
                self.user_db.session, user_id=user.id, reason=RevokedReason.PASSWORD_CHANGED, keep=keep_session_id
            )
        return await self.user_db.update(user, changes)

    async def forgot_password(self, user: User, request: Request | None = None) -> None:
        if not user.is_active:
            raise exceptions.UserInactive()
        token = generate_jwt(
            {
                "sub": str(user.id),
                "password_fgpt": self._password_fingerprint(user),
                "aud": self.reset_password_token_audience,
            },
            self.reset_password_token_secret,
            self.reset_password_token_lifetime_seconds,
        )
        await self.on_after_forgot_password(user, token, request)

    async def reset_password(self, token: str, password: str, request: Request | None = None) -> User:
        try:
            data = decode_jwt(token, self.reset_password_token_secret, [self.reset_password_token_audience])
            user = await self.get(self.parse_id(data["sub"]))
            fingerprint = str(data["password_fgpt"])
        except (pyjwt.PyJWTError, KeyError, exceptions.InvalidID, exceptions.UserNotExists) as error:
            raise exceptions.InvalidResetPasswordToken() from error
        # The fingerprint ties the token to the password it was issued for: once used, it is spent.
        if not hmac.compare_digest(fingerprint, self._password_fingerprint(user)):
            raise exceptions.InvalidResetPasswordToken()
        if not user.is_active:
            raise exceptions.UserInactive()
        updated = await self._update(user, {"password": password})
        await self.on_after_reset_password(user, request)
        return updated

    def _password_fingerprint(self, user: User) -> str:
        # fastapi-users bcrypt-hashes the stored hash for this; an HMAC is as binding and costs
        # microseconds instead of a bcrypt run on the event loop.
        key = self.reset_password_token_secret.encode()
        return hmac.new(key, user.hashed_password.encode(), hashlib.sha256).hexdigest()

    # --- hooks -----------------------------------------------------------------------------
    async def on_after_register(self, user: User, request: Request | None = None) -> None:
        logger.info("user registered id=%s", user.id)

    async def on_after_reset_password(self, user: User, request: Request | None = None) -> None:
        # Whoever reset the password holds the mailbox: their login is no longer locked.
        await self.lockouts.clear(email=user.email)

    async def on_after_forgot_password(self, user: User, token: str, request: Request | None = None) -> None:
        await self.notifier.password_reset_requested(user=user, token=token)

    async def on_after_request_verify(self, user: User, token: str, request: Request | None = None) -> None:
        await self.notifier.verification_requested(user=user, token=token)


def _retry_after(state: LockoutState, now: datetime) -> dict[str, str] | None:
    return {"Retry-After": str(state.retry_after(now))} if state.is_locked(now) else None


class _Candidate:
    """What the password policy compares a new password with."""

    def __init__(self, email: str) -> None:
        self.email = email


async def get_passwords(request: Request) -> PasswordHasher:
    passwords: PasswordHasher = request.app.state.passwords
    return passwords


async def get_notifier(request: Request) -> AccountNotifier:
    notifier: AccountNotifier = request.app.state.notifier
    return notifier


async def get_user_manager(
    request: Request,
    user_db: UserDatabaseDep,
    passwords: Annotated[PasswordHasher, Depends(get_passwords)],
    notifier: Annotated[AccountNotifier, Depends(get_notifier)],
) -> AsyncIterator[UserManager]:
    yield UserManager(user_db, settings=request.app.state.settings, passwords=passwords, notifier=notifier)


UserManagerDep = Annotated[UserManager, Depends(get_user_manager)]
