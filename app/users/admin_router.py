"""`/admin/users`: account management, admins only."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from app.rbac.dependencies import AdminCaller, admin_only
from app.rbac.roles import Role
from app.users.dependencies import TargetUser
from app.users.schemas import AdminUserCreate, AdminUserRead, AdminUserUpdate, UserPage
from app.users.service import UserServiceDep

router = APIRouter(prefix="/admin/users", tags=["admin"], dependencies=[Depends(admin_only)])


@router.get("", response_model=UserPage)
async def list_users(
    users: UserServiceDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
    role: Role | None = None,
    is_active: bool | None = None,
    q: Annotated[str | None, Query(max_length=320, description="Part of the email")] = None,
) -> UserPage:
    found, total = await users.list(limit=limit, offset=offset, role=role, is_active=is_active, email_contains=q)
    return UserPage(
        items=[AdminUserRead.model_validate(user) for user in found], total=total, limit=limit, offset=offset
    )


@router.post("", response_model=AdminUserRead, status_code=status.HTTP_201_CREATED)
async def create_user(data: AdminUserCreate, users: UserServiceDep) -> AdminUserRead:
    return AdminUserRead.model_validate(await users.create(data=data))


@router.get("/{user_id}", response_model=AdminUserRead)
async def read_user(user: TargetUser) -> AdminUserRead:
    return AdminUserRead.model_validate(user)


@router.patch("/{user_id}", response_model=AdminUserRead)
async def update_user(
    data: AdminUserUpdate, user: TargetUser, users: UserServiceDep, admin: AdminCaller
) -> AdminUserRead:
    """A new password or deactivation ends the user's sessions (an admin's own current one stays)."""
    keep = admin.session_id if admin.id == user.id else None
    return AdminUserRead.model_validate(await users.update(target=user, data=data, current_session_id=keep))


@router.delete("/{user_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_user(user: TargetUser, users: UserServiceDep) -> None:
    await users.delete(target=user)
