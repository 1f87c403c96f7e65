"""`RoleChecker`: the dependency that declares who may call a route.

Routes name a permission (`require(Permission.X)`); the roles that hold it come from the one
table `app.core.roles.ROLE_PERMISSIONS`, so "admin" is said in exactly one place.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any

from fastapi import Depends

from app.core.errors import Forbidden
from app.core.identity import Caller
from app.core.roles import Permission, Role, roles_with
from app.http.caller import CurrentCaller
from app.http.mfa_policy import MfaStepUpRequired


class RoleChecker:
    """Let the request through when the caller acts with one of `allowed_roles`; else 403.

    An unauthenticated request never gets here: resolving the caller answers it with 401.
    """

    def __init__(self, allowed_roles: Iterable[Role]) -> None:
        self.allowed_roles = frozenset(allowed_roles)

    async def __call__(self, caller: CurrentCaller) -> Caller:
        if caller.role not in self.allowed_roles:
            raise Forbidden()
        if caller.step_up_roles and self.allowed_roles <= caller.step_up_roles:  # MFA_REQUIRED_ROLES
            raise MfaStepUpRequired()
        return caller

    @classmethod
    def for_permission(cls, permission: Permission) -> RoleChecker:
        """The roles that `ROLE_PERMISSIONS` grants `permission` to."""
        return cls(roles_with(permission))


def require(permission: Permission) -> Any:
    """`Annotated[Caller, require(Permission.X)]`: the caller, if their role holds `permission`."""
    return Depends(RoleChecker.for_permission(permission))


# Who may manage every account (and their sessions): the admin routes' gate.
UserManager = Annotated[Caller, require(Permission.USERS_MANAGE)]
