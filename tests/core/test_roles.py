"""Roles and permissions as data, and the RoleChecker dependency."""

from __future__ import annotations

import uuid

import pytest

from app.core.errors import Forbidden
from app.core.identity import Caller, Credential
from app.core.roles import ROLE_PERMISSIONS, Permission, Role, has_permission, lesser_role, roles_with
from app.http.rbac import RoleChecker
from app.users.models import User


def caller_with(role: Role) -> Caller:
    user = User(id=uuid.uuid4(), email=f"{role.value}@example.com", hashed_password="x", role=role)
    return Caller(user=user, role=role, credential=Credential.ACCESS_TOKEN)


def test_every_role_has_a_permission_set():
    assert set(ROLE_PERMISSIONS) == set(Role)


def test_admin_has_every_permission():
    assert ROLE_PERMISSIONS[Role.ADMIN] == frozenset(Permission)


def test_guest_may_only_read_items():
    assert ROLE_PERMISSIONS[Role.GUEST] == frozenset({Permission.ITEMS_READ})


def test_user_may_write_own_items_but_not_manage_users_or_touch_others_items():
    assert has_permission(Role.USER, Permission.ITEMS_WRITE)
    assert not has_permission(Role.USER, Permission.USERS_MANAGE)
    assert not has_permission(Role.USER, Permission.ITEMS_READ_ANY)
    assert not has_permission(Role.USER, Permission.ITEMS_WRITE_ANY)


def test_roles_with_reads_the_permission_table():
    assert set(roles_with(Permission.ITEMS_WRITE)) == {Role.ADMIN, Role.USER}
    assert set(roles_with(Permission.ITEMS_READ)) == set(Role)


@pytest.mark.parametrize(
    ("first", "second", "lesser"),
    [
        (Role.ADMIN, Role.USER, Role.USER),
        (Role.USER, Role.ADMIN, Role.USER),
        (Role.USER, Role.GUEST, Role.GUEST),
        (Role.ADMIN, Role.ADMIN, Role.ADMIN),
    ],
)
def test_lesser_role_is_the_less_privileged_one(first, second, lesser):
    assert lesser_role(first, second) is lesser


async def test_role_checker_lets_an_allowed_role_through():
    caller = caller_with(Role.ADMIN)

    assert await RoleChecker([Role.ADMIN])(caller) is caller


@pytest.mark.parametrize("role", [Role.USER, Role.GUEST])
async def test_role_checker_refuses_other_roles(role):
    with pytest.raises(Forbidden):
        await RoleChecker([Role.ADMIN])(caller_with(role))


def test_role_checker_for_permission_allows_exactly_the_roles_granted_it():
    assert RoleChecker.for_permission(Permission.ITEMS_WRITE).allowed_roles == {Role.ADMIN, Role.USER}
