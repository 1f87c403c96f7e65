"""Roles and what each may do, written once as data.

`ROLE_PERMISSIONS` is the single table from role to permissions. Route gates (`RoleChecker`)
and in-handler decisions (`has_permission`) both read it; nothing else encodes who may do what.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    USER = "user"
    GUEST = "guest"


class Permission(StrEnum):
    ITEMS_READ = "items:read"
    ITEMS_WRITE = "items:write"
    ITEMS_READ_ANY = "items:read_any"  # other users' items, and `owner_id` filtering
    ITEMS_WRITE_ANY = "items:write_any"
    API_KEYS_WRITE = "api_keys:write"
    USERS_MANAGE = "users:manage"
    API_KEYS_MANAGE = "api_keys:manage"
    MAIL_MANAGE = "mail:manage"  # the outbox: list messages, retry one
    AUDIT_READ = "audit:read"  # every account's audit events
    # POST /auth/introspect (RFC 7662): what other services call, with an API key, to check a token.
    TOKENS_INTROSPECT = "tokens:introspect"


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.GUEST: frozenset({Permission.ITEMS_READ}),
    Role.USER: frozenset({Permission.ITEMS_READ, Permission.ITEMS_WRITE, Permission.API_KEYS_WRITE}),
    Role.ADMIN: frozenset(Permission),
}

# From least to most privileged; an API key's role cap takes the lesser of two roles.
ROLE_RANK: dict[Role, int] = {Role.GUEST: 0, Role.USER: 1, Role.ADMIN: 2}


def has_permission(role: Role, permission: Permission) -> bool:
    return permission in ROLE_PERMISSIONS[role]


def roles_with(permission: Permission) -> list[Role]:
    return [role for role, permissions in ROLE_PERMISSIONS.items() if permission in permissions]


def lesser_role(first: Role, second: Role) -> Role:
    return first if ROLE_RANK[first] <= ROLE_RANK[second] else second
