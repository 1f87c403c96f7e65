"""`/admin/users`: account management, for those who manage users (admins)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

from fastapi import APIRouter, Query, status

from app.audit.types import Actor
from app.core.roles import Permission, Role
from app.core.storable import StorableText
from app.db.base import utcnow
from app.http.pagination import PageParams
from app.http.rbac import UserManager, require
from app.lockout.dependencies import LockoutServiceDep
from app.lockout.service import LockoutService
from app.sessions.dependencies import SessionServiceDep
from app.sessions.schemas import SessionRead
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
    is_verified: bool | None = None,
    locked: Annotated[
        bool | None, Query(description="true: locked out of password login right now (see `locked_until`)")
    ] = None,
    mfa_enabled: Annotated[bool | None, Query(description="true: has a confirmed second factor")] = None,
    q: Annotated[
        str | None,
        Query(
            max_length=320,
            description="Part of the email, at least 3 characters (fewer -> 400 QUERY_TOO_SHORT), case-insensitive",
        ),
        StorableText,
    ] = None,
) -> UserPage:
    """Newest first. `total` is exact when `total_exact` is true; with a search or the
    `is_verified`, `locked` or `mfa_enabled` filters, matches are counted up to 1,000, and beyond
    that `total` is 1,000 with `total_exact: false`."""
    found = await users.list(
        limit=page.limit,
        offset=page.offset,
        role=role,
        is_active=is_active,
        is_verified=is_verified,
        mfa_enabled=mfa_enabled,
        locked=locked,
        email_contains=q,
    )
    return UserPage(
        items=await _admin_views(found.users, lockouts),
        total=found.total,
        total_exact=found.exact,
        limit=page.limit,
        offset=page.offset,
    )


@router.post("", response_model=AdminUserRead, status_code=status.HTTP_201_CREATED)
async def create_user(
    data: AdminUserCreate, users: UserServiceDep, lockouts: LockoutServiceDep, admin: UserManager
) -> AdminUserRead:
    """Create an account with any role -> 201. A used email -> 400 `REGISTER_USER_ALREADY_EXISTS`."""
    return await _admin_view(await users.create(data=data, actor=Actor.of(admin)), lockouts)


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
async def unlock_user(user: TargetUser, lockouts: LockoutServiceDep, admin: UserManager) -> AdminUserRead:
    """Clear the user's failed-login streak and lift any password-login lock. Answers the
    unlocked user; unlocking a user who is not locked changes nothing (it is recorded all the same)."""
    await lockouts.unlock(email=user.email, user_id=user.id, actor=Actor.of(admin))
    return await _admin_view(user, lockouts)


@router.post("/{user_id}/revoke-sessions", status_code=status.HTTP_204_NO_CONTENT)
async def revoke_user_sessions(user: TargetUser, sessions: SessionServiceDep, admin: UserManager) -> None:
    """End every session of the user: all their refresh tokens and access tokens stop working.
    The same as `DELETE /admin/users/{user_id}/sessions`."""
    await sessions.end_all(user_id=user.id, reason=RevokedReason.ADMIN, actor=Actor.of(admin))


@router.get("/{user_id}/sessions", response_model=list[SessionRead])
async def list_user_sessions(user: TargetUser, sessions: SessionServiceDep, admin: UserManager) -> list[SessionRead]:
    """The user's active sessions, most recently used first, in the shape of `GET /users/me/sessions`
    (`current` marks the session of the admin's own token, when the user is the admin)."""
    found = await sessions.list_active(user_id=user.id)
    return [SessionRead.of(session, current_session_id=admin.session_id) for session in found]


@router.delete("/{user_id}/sessions", status_code=status.HTTP_204_NO_CONTENT)
async def end_user_sessions(user: TargetUser, sessions: SessionServiceDep, admin: UserManager) -> None:
    """End every session of the user (the admin's own too, when the user is the admin): all their
    refresh tokens and access tokens stop working."""
    await sessions.end_all(user_id=user.id, reason=RevokedReason.ADMIN, actor=Actor.of(admin))


@router.delete("/{user_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_user(user: TargetUser, users: UserServiceDep, admin: UserManager) -> None:
    """Delete an account -> 204. Deleting the last active admin -> 409 `LAST_ADMIN`."""
    await users.delete(target=user, actor=Actor.of(admin))


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
