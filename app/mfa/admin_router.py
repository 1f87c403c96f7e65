"""`/admin/users/{id}/mfa`: an admin removes a user's second factor (a lost device)."""

from __future__ import annotations

from fastapi import APIRouter, status

from app.audit.types import Actor
from app.core.roles import Permission
from app.http.rbac import UserManager, require
from app.mfa.dependencies import MfaServiceDep
from app.users.dependencies import TargetUser

router = APIRouter(prefix="/admin/users", tags=["admin"], dependencies=[require(Permission.USERS_MANAGE)])


@router.delete("/{user_id}/mfa", status_code=status.HTTP_204_NO_CONTENT)
async def reset_user_mfa(user: TargetUser, mfa: MfaServiceDep, admin: UserManager) -> None:
    """Remove the user's factors and recovery codes, and end every session of theirs. The user
    logs in with the password alone again (and enrols anew where MFA_REQUIRED_ROLES asks)."""
    await mfa.reset(user=user, actor=Actor.of(admin))
