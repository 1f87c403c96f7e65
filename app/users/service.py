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
from sqlalchemy import ColumnElement, func, literal_column, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.session import SessionDep
from app.rbac.roles import Role
from app.sessions.service import RevokedReason, end_user_sessions
from app.users.errors import EmailAlreadyUsed, LastAdminError, PasswordRejected, UserAlreadyExists
from app.users.manager import UserManager, UserManagerDep
from app.users.models import User, UserCount
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
        """A page of users, newest first, and the exact number of users the filters match.

        Without `email_contains` the total comes from the running totals in `user_counts`, so it
        costs the same with a thousand users or a million; with it, the matching rows are counted.
        """
        counts = await self._counts()
        matching = sum(
            count
            for (counted_role, counted_active), count in counts.items()
            if (role is None or counted_role == role) and (is_active is None or counted_active == is_active)
        )
        conditions: list[ColumnElement[bool]] = []
        if role is not None or is_active is not None:
            # Every role is named when only is_active is given, so the (role, is_active) index
            # serves that filter too (one index range per role).
            conditions.append(User.role == role if role is not None else User.role.in_(list(Role)))
        if is_active is not None:
            conditions.append(User.is_active == is_active)
        if conditions and self.session.get_bind().dialect.name == "sqlite":
            # Matching users spread over time fill the page after (offset + limit) / share rows of
            # the created_at index; finding them by (role, is_active) instead reads and sorts all
            # `matching` rows. Take the cheaper plan (no more than sqrt((offset + limit) * users)
            # rows either way).
            walk = matching * matching >= (offset + limit) * sum(counts.values())
            conditions = _planned_for_sqlite(conditions, walk_created_at=walk)
        if email_contains:
            pattern = email_contains.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            conditions.append(User.email.like(f"%{pattern}%", escape="\\"))
        page = select(User).where(*conditions).order_by(User.created_at.desc(), User.id).limit(limit).offset(offset)
        users = (await self.session.scalars(page)).all()
        if email_contains:
            matching = int(await self.session.scalar(select(func.count()).select_from(User).where(*conditions)) or 0)
        return users, matching

    async def _counts(self) -> dict[tuple[Role, bool], int]:
        """Users per (role, is_active), from the totals the database triggers keep."""
        rows = await self.session.execute(select(UserCount.role, UserCount.is_active, UserCount.count))
        return {(role, is_active): count for role, is_active, count in rows.tuples()}

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


def _planned_for_sqlite(conditions: list[ColumnElement[bool]], *, walk_created_at: bool) -> list[ColumnElement[bool]]:
    """The role and is_active filters, with the plan for them told to SQLite's planner.

    Left alone, the planner guesses: without statistics it assumes an indexed equality keeps a
    handful of rows, so for a common role it sorts a million users rather than walking the
    created_at index until the page is full; with ANALYZE statistics it averages over the roles
    and errs the other way for a rare one. `likelihood()` is SQLite's way of taking the decision
    from the application, which knows the exact totals. PostgreSQL keeps per-value statistics,
    weighs the LIMIT itself and gets no hint.
    """
    hint = literal_column("1.0" if walk_created_at else "0.000001")
    return [func.likelihood(condition, hint) for condition in conditions]


async def get_user_service(session: SessionDep, manager: UserManagerDep) -> UserService:
    return UserService(session=session, manager=manager)


UserServiceDep = Annotated[UserService, Depends(get_user_service)]
