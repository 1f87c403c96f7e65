"""`/users/me`: the caller's own account."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from app.core.identity import UserSnapshot
from app.http.caller import CurrentCaller, LoggedInCaller
from app.lockout.dependencies import LockoutServiceDep
from app.users.dependencies import LoggedInUser, OwnPasswordAdmission, UserServiceDep
from app.users.schemas import UserRead, UserUpdate, UserUpdateRead

router = APIRouter(prefix="/users", tags=["users"])


@router.get("/me", response_model=UserRead)
async def read_me(caller: CurrentCaller) -> UserSnapshot:
    """The caller's own account: id, email, role, flags, `mfa_enabled`. Answers to a token or an API key."""
    return caller.user  # validated once, by the response model


@router.patch("/me", response_model=UserUpdateRead)
async def update_me(
    data: UserUpdate,
    _: OwnPasswordAdmission,
    user: LoggedInUser,
    caller: LoggedInCaller,
    users: UserServiceDep,
    lockouts: LockoutServiceDep,
) -> Any:
    """Change your email or password, with your current password in `current_password` (a wrong
    one -> 400 `CURRENT_PASSWORD_INVALID`, counted like a failed login). Role and status fields are
    not yours to change and are ignored. Needs an access token: an API key, whatever its role,
    cannot change how you log in. A new password applies at once and ends all your other sessions
    (the one making this request stays). A new email applies only once the link mailed to it is
    confirmed (`POST /auth/confirm-email-change`): until then the answer shows it as
    `pending_email`."""
    result = await users.update_self(user=user, data=data, lockouts=lockouts, current_session_id=caller.session_id)
    return UserUpdateRead.model_validate(
        {**UserRead.model_validate(result.user).model_dump(), "pending_email": result.pending_email}
    )
