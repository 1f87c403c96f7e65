"""`/users/me`: the caller's own account."""

from __future__ import annotations

from fastapi import APIRouter

from app.auth.dependencies import CurrentUser, LoggedInUser
from app.users.schemas import UserRead, UserUpdate
from app.users.service import UserServiceDep

router = APIRouter(prefix="/users", tags=["users"])


@router.get("/me", response_model=UserRead)
async def read_me(user: CurrentUser) -> UserRead:
    return UserRead.model_validate(user)


@router.patch("/me", response_model=UserRead)
async def update_me(data: UserUpdate, user: LoggedInUser, users: UserServiceDep) -> UserRead:
    """Change your email or password. Role and status fields are not yours to change and are
    ignored. Needs an access token: an API key, whatever its role, cannot change how you log in."""
    return UserRead.model_validate(await users.update_self(user=user, data=data))
