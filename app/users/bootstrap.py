"""Create the first admin from settings (at start-up) or from the shell (`gatehouse create-admin`)."""

from __future__ import annotations

import logging

from pydantic import ValidationError
from sqlalchemy import select

from app.audit.recorder import record_event
from app.audit.types import SYSTEM, EventType
from app.config import ConfigurationError, Settings
from app.core.passwords import PasswordHasher
from app.core.roles import Role
from app.db.engine import Database
from app.users.errors import PasswordRejected, UserAlreadyExists
from app.users.models import User
from app.users.models import columns as user_columns
from app.users.password_policy import PasswordPolicy
from app.users.schemas import AdminUserCreate
from app.users.service import UserService

logger = logging.getLogger(__name__)


class AdminNotCreated(Exception):
    """The admin could not be created; the message says why."""


class AdminEmailTaken(AdminNotCreated):
    """An account with the admin's email exists (perhaps created a moment ago by another worker)."""


def admin_data(*, email: str, password: str) -> AdminUserCreate:
    """The new admin's data, or `AdminNotCreated` saying which field is refused (never its value)."""
    try:
        return AdminUserCreate(email=email, password=password, role=Role.ADMIN, is_verified=True)
    except ValidationError as error:  # not an email, or a password no policy would read
        # Name the fields without their values: pydantic's message quotes the input, password
        # included, and this message ends up in the start-up log.
        problems = "; ".join(
            f"{'.'.join(map(str, issue['loc']))}: {issue['msg']}" for issue in error.errors(include_input=False)
        )
        raise AdminNotCreated(problems) from None


def check_first_admin(settings: Settings) -> None:
    """Refuse, before any database work, a FIRST_ADMIN_EMAIL / FIRST_ADMIN_PASSWORD that start-up
    would refuse (`gatehouse check-config`)."""
    if not settings.first_admin_email or settings.first_admin_password is None:
        return
    try:
        data = admin_data(email=settings.first_admin_email, password=settings.first_admin_password.get_secret_value())
        PasswordPolicy.from_settings(settings).check(data.password, email=data.email, creating=True)
    except AdminNotCreated as error:
        raise ConfigurationError(f"FIRST_ADMIN_EMAIL / FIRST_ADMIN_PASSWORD: {error}") from None
    except PasswordRejected as error:
        raise ConfigurationError(
            f"FIRST_ADMIN_EMAIL / FIRST_ADMIN_PASSWORD: the admin password is refused: {refusal(error)}"
        ) from None


def refusal(error: PasswordRejected) -> str:
    """The policy's sentence, and its code where the rule has one."""
    return error.detail_message if error.reason == error.detail_message else f"{error.detail_message} ({error.reason})"


async def create_admin(
    *, database: Database, passwords: PasswordHasher, email: str, password: str, policy: PasswordPolicy
) -> User:
    data = admin_data(email=email, password=password)
    async with database.sessionmaker() as db:
        try:
            return await UserService(db=db, passwords=passwords, policy=policy).create(data=data, actor=SYSTEM)
        except PasswordRejected as error:
            raise AdminNotCreated(f"the admin password is refused: {refusal(error)}") from error
        except UserAlreadyExists as error:
            raise AdminEmailTaken(f"an account with the email {email} already exists") from error


async def promote_to_admin(*, database: Database, passwords: PasswordHasher, email: str) -> User:
    """Make an existing account an active admin."""
    async with database.sessionmaker() as db:
        user = await UserService(db=db, passwords=passwords).get_by_email(email=email)
        if user is None:
            raise AdminNotCreated(f"no account with the email {email}")
        was_role, was_active = user.role, user.is_active
        user.role, user.is_active = Role.ADMIN, True
        changed = sorted(
            field for field, before in (("role", was_role), ("is_active", was_active)) if before != getattr(user, field)
        )
        if changed:
            record_event(db, EventType.USER_UPDATED, actor=SYSTEM, target_user_id=user.id, details={"fields": changed})
        if was_role is not Role.ADMIN:
            details = {"from": was_role, "to": Role.ADMIN}
            record_event(db, EventType.USER_ROLE_CHANGED, actor=SYSTEM, target_user_id=user.id, details=details)
        if not was_active:
            record_event(db, EventType.USER_REACTIVATED, actor=SYSTEM, target_user_id=user.id)
        await db.commit()
        return user


async def ensure_first_admin(*, database: Database, settings: Settings, passwords: PasswordHasher) -> None:
    """When FIRST_ADMIN_EMAIL and FIRST_ADMIN_PASSWORD are set and there is no admin yet, create it."""
    if not settings.first_admin_email or settings.first_admin_password is None:
        return
    async with database.sessionmaker() as db:
        if await db.scalar(select(user_columns.id).where(user_columns.role == Role.ADMIN).limit(1)) is not None:
            return
        if await UserService(db=db, passwords=passwords).get_by_email(email=settings.first_admin_email) is not None:
            # Never promote an existing account from settings: whoever registered that email first
            # would become admin. Promotion is an explicit act (gatehouse create-admin --promote).
            logger.warning(
                "FIRST_ADMIN_EMAIL belongs to an existing non-admin account; no admin was created. "
                "Promote it with: gatehouse create-admin --promote --email <email>"
            )
            return
    try:
        user = await create_admin(
            database=database,
            passwords=passwords,
            email=settings.first_admin_email,
            password=settings.first_admin_password.get_secret_value(),
            policy=PasswordPolicy.from_settings(settings),
        )
    except AdminEmailTaken:  # another worker created it a moment ago
        return
    except AdminNotCreated as error:
        raise ConfigurationError(f"FIRST_ADMIN_EMAIL / FIRST_ADMIN_PASSWORD: {error}") from error
    logger.info("first admin created id=%s", user.id)
