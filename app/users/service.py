"""Account management for admins and for users themselves.

The last active admin can be neither demoted, deactivated nor deleted. The check runs inside the
write transaction, after the change, with the admin rows locked first (PostgreSQL) or the write
lock held (SQLite), so two admins demoting each other at the same moment cannot both succeed.

Setting a user's password or deactivating them ends all of their sessions in the same commit.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Annotated

from fastapi import Depends
from fastapi_users import exceptions
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.session import SessionDep
from app.rbac.roles import Role
from app.sessions.service import RevokedReason, end_user_sessions
from app.users.errors import EmailAlreadyUsed, LastAdminError, PasswordRejected, UserAlreadyExists
from app.users.manager import UserManager, UserManagerDep
from app.users.models import User
from app.users.schemas import AdminUserCreate, AdminUserUpdate, UserUpdate


class UserService:
    def __init__(self, *, session: AsyncSession, manager: UserManager) -> None:
        self.session = session
        self.manager = manager

    async def get(self, *, user_id: uuid.UUID) -> User | None:
        return await self.session.get(User, user_id)

    async def list(
        self,
        *,
        limit: int,
        offset: int,
        role: Role | None = None,
        is_active: bool | None = None,
        email_contains: str | None = None,
    ) -> tuple[Sequence[User], int]:
        conditions = []
        if role is not None:
            conditions.append(User.role == role)
        if is_active is not None:
            conditions.append(User.is_active == is_active)
        if email_contains:
            pattern = email_contains.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            conditions.append(User.email.like(f"%{pattern}%", escape="\\"))
        page = select(User).where(*conditions).order_by(User.created_at.desc(), User.id).limit(limit).offset(offset)
        total = select(func.count()).select_from(User).where(*conditions)
        users = (await self.session.scalars(page)).all()
        return users, int(await self.session.scalar(total) or 0)

    async def create(self, *, data: AdminUserCreate) -> User:
        try:
            return await self.manager.create(data, safe=False)
        except exceptions.InvalidPasswordException as error:
            raise PasswordRejected(str(error.reason), creating=True) from error
        except exceptions.UserAlreadyExists as error:
            raise UserAlreadyExists() from error

    async def update_self(self, *, user: User, data: UserUpdate, current_session_id: uuid.UUID | None = None) -> User:
        """A new password ends the user's other sessions; `current_session_id` (the caller's) stays."""
        try:
            return await self.manager.update(data, user, safe=True, keep_session_id=current_session_id)
        except exceptions.InvalidPasswordException as error:
            raise PasswordRejected(str(error.reason)) from error
        except exceptions.UserAlreadyExists as error:
            raise EmailAlreadyUsed() from error

    async def update(self, *, target: User, data: AdminUserUpdate, current_session_id: uuid.UUID | None = None) -> User:
        try:
            changes = await self.manager.prepare_changes(target, data.model_dump(exclude_unset=True))
        except exceptions.InvalidPasswordException as error:
            raise PasswordRejected(str(error.reason)) from error
        except exceptions.UserAlreadyExists as error:
            raise EmailAlreadyUsed() from error
        loses_admin = (
            target.role is Role.ADMIN
            and target.is_active
            and (changes.get("role", Role.ADMIN) is not Role.ADMIN or changes.get("is_active") is False)
        )
        if loses_admin:
            await self._lock_active_admins()
        if "hashed_password" in changes or changes.get("is_active") is False:
            reason = RevokedReason.PASSWORD_CHANGED if "hashed_password" in changes else RevokedReason.USER_DEACTIVATED
            await end_user_sessions(self.session, user_id=target.id, reason=reason, keep=current_session_id)
        for field, value in changes.items():
            setattr(target, field, value)
        try:
            await self.session.flush()
        except IntegrityError as error:  # an email taken between the check and the write
            await self.session.rollback()
            raise EmailAlreadyUsed() from error
        if loses_admin:
            await self._refuse_if_no_admin_left()
        await self.session.commit()
        await self.session.refresh(target)
        return target

    async def delete(self, *, target: User) -> None:
        is_active_admin = target.role is Role.ADMIN and target.is_active
        if is_active_admin:
            await self._lock_active_admins()
        await self.session.delete(target)
        await self.session.flush()
        if is_active_admin:
            await self._refuse_if_no_admin_left()
        await self.session.commit()

    async def _lock_active_admins(self) -> None:
        await self.session.execute(
            select(User.id).where(User.role == Role.ADMIN, User.is_active.is_(True)).with_for_update()
        )

    async def _refuse_if_no_admin_left(self) -> None:
        remaining = await self.session.scalar(
            select(func.count()).select_from(User).where(User.role == Role.ADMIN, User.is_active.is_(True))
        )
        if not remaining:
            await self.session.rollback()
            raise LastAdminError()


async def get_user_service(session: SessionDep, manager: UserManagerDep) -> UserService:
    return UserService(session=session, manager=manager)


UserServiceDep = Annotated[UserService, Depends(get_user_service)]
