"""`/admin/users`: account management, for those who manage users (admins)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

from fastapi import APIRouter, Query, status

from app.core.roles import Permission, Role
from app.core.storable import StorableText
from app.db.base import utcnow
from app.http.pagination import PageParams
from app.http.rbac import UserManager, require
from app.lockout.dependencies import LockoutServiceDep
from app.lockout.service import LockoutService
from app.sessions.dependencies import SessionServiceDep
from app.sessions.service import RevokedReason
from app.users.dependencies import PasswordAdmission, TargetUser, UserServiceDep
from app.users.models import User
from app.users.schemas import AdminUserCreate, AdminUserRead, AdminUserUpdate, UserPage

router = APIRouter(prefix="/admin/users", tags=["admin"], dependencies=[require(Permission.USERS_MANAGE)])


@router.get("", response_model=UserPage)
async def list_users(
    users: UserServiceDep,
    lockouts: LockoutServiceDep,
    page: PageParams,
    role: Role | None = None,
    is_active: bool | None = None,
    q: Annotated[str | None, Query(max_length=320, description="Part of the email"), StorableText] = None,
) -> UserPage:
    """A page of accounts, newest first, filtered by `role`, `is_active` and `q` (part of the email)."""
    found, total = await users.list(
        limit=page.limit, offset=page.offset, role=role, is_active=is_active, email_contains=q
    )
    return UserPage(items=await _admin_views(found, lockouts), total=total, limit=page.limit, offset=page.offset)


@router.post("", response_model=AdminUserRead, status_code=status.HTTP_201_CREATED)
async def create_user(data: AdminUserCreate, users: UserServiceDep, lockouts: LockoutServiceDep) -> AdminUserRead:
    """Create an account with any role -> 201. A used email -> 400 `REGISTER_USER_ALREADY_EXISTS`."""
    return await _admin_view(await users.create(data=data), lockouts)


@router.get("/{user_id}", response_model=AdminUserRead)
async def read_user(user: TargetUser, lockouts: LockoutServiceDep) -> AdminUserRead:
    """One account, with its lockout state; an unknown id -> 404 `USER_NOT_FOUND`."""
    return await _admin_view(user, lockouts)


@router.patch("/{user_id}", response_model=AdminUserRead)
async def update_user(
    data: AdminUserUpdate,
    _: PasswordAdmission,
    user: TargetUser,
    users: UserServiceDep,
    lockouts: LockoutServiceDep,
    admin: UserManager,
) -> AdminUserRead:
    """A new password or deactivation ends the user's sessions (an admin's own current one stays)."""
    keep = admin.session_id if admin.id == user.id else None
    return await _admin_view(await users.update(target=user, data=data, actor=admin, current_session_id=keep), lockouts)


@router.post("/{user_id}/unlock", response_model=AdminUserRead)
async def unlock_user(user: TargetUser, lockouts: LockoutServiceDep) -> AdminUserRead:
    """Clear the user's failed-login streak and lift any password-login lock. Answers the
    unlocked user; unlocking a user who is not locked changes nothing."""
    await lockouts.clear(email=user.email)
    return await _admin_view(user, lockouts)


@router.post("/{user_id}/revoke-sessions", status_code=status.HTTP_204_NO_CONTENT)
async def revoke_user_sessions(user: TargetUser, sessions: SessionServiceDep) -> None:
    """End every session of the user: all their refresh tokens and access tokens stop working."""
    await sessions.end_all(user_id=user.id, reason=RevokedReason.ADMIN)


@router.delete("/{user_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_user(user: TargetUser, users: UserServiceDep) -> None:
    """Delete an account -> 204. Deleting the last active admin -> 409 `LAST_ADMIN`."""
    await users.delete(target=user)


async def _admin_views(users: Sequence[User], lockouts: LockoutService) -> list[AdminUserRead]:
    states = await lockouts.states(emails=[user.email for user in users])
    now = utcnow()
    return [
        AdminUserRead.model_validate(user).model_copy(
            update={
                "failed_login_count": states[user.email].failed_count,
                "locked_until": states[user.email].current_lock(now),
            }
        )
        for user in users
    ]


async def _admin_view(user: User, lockouts: LockoutService) -> AdminUserRead:
    return (await _admin_views([user], lockouts))[0]
