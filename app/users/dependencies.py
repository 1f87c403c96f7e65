"""Loaders for users named in a path."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends

from app.rbac.dependencies import AdminUser
from app.users.errors import UserNotFound
from app.users.models import User
from app.users.service import UserServiceDep


async def target_user(user_id: uuid.UUID, _: AdminUser, users: UserServiceDep) -> User:
    """The user named by `{user_id}`; admins only (the 403 comes before any look-up)."""
    user = await users.get(user_id=user_id)
    if user is None:
        raise UserNotFound()
    return user


TargetUser = Annotated[User, Depends(target_user)]
