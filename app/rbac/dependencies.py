"""`RoleChecker`: the dependency that declares who may call a route."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated

from fastapi import Depends

from app.auth.caller import Caller
from app.auth.dependencies import CurrentCaller
from app.auth.state import UserSnapshot
from app.errors import Forbidden
from app.rbac.roles import Permission, Role, roles_with


class RoleChecker:
    """Let the request through when the caller acts with one of `allowed_roles`; else 403.

    An unauthenticated request never gets here: resolving the caller answers it with 401.
    """

    def __init__(self, allowed_roles: Iterable[Role]) -> None:
        self.allowed_roles = frozenset(allowed_roles)

    async def __call__(self, caller: CurrentCaller) -> Caller:
        if caller.role not in self.allowed_roles:
            raise Forbidden()
        return caller

    @classmethod
    def for_permission(cls, permission: Permission) -> RoleChecker:
        """The roles that `ROLE_PERMISSIONS` grants `permission` to."""
        return cls(roles_with(permission))


admin_only = RoleChecker([Role.ADMIN])

AdminCaller = Annotated[Caller, Depends(admin_only)]


# Module level on purpose: with postponed annotations FastAPI resolves a dependency's annotations
# in the module's globals, so a closure over a local checker would turn `caller` into a query
# parameter.
async def _admin_user(caller: AdminCaller) -> UserSnapshot:
    return caller.user


AdminUser = Annotated[UserSnapshot, Depends(_admin_user)]
