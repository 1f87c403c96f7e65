"""`/users/me`: the caller's own account."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from app.core.identity import UserSnapshot
from app.http.caller import CurrentCaller, LoggedInCaller
from app.users.dependencies import LoggedInUser, OwnPasswordAdmission, UserServiceDep
from app.users.schemas import UserRead, UserUpdate

router = APIRouter(prefix="/users", tags=["users"])


@router.get("/me", response_model=UserRead)
async def read_me(caller: CurrentCaller) -> UserSnapshot:
    return caller.user  # validated once, by the response model


@router.patch("/me", response_model=UserRead)
async def update_me(
    data: UserUpdate, _: OwnPasswordAdmission, user: LoggedInUser, caller: LoggedInCaller, users: UserServiceDep
) -> Any:
    """Change your email or password. Role and status fields are not yours to change and are
    ignored. Needs an access token: an API key, whatever its role, cannot change how you log in.
    A new password ends all your other sessions; the one making this request stays."""
    updated = await users.update_self(user=user, data=data, current_session_id=caller.session_id)
    return UserRead.model_validate(updated)
