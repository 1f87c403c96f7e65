"""Who may call each protected route: 401 without valid credentials, 403 without the role, and
the route's own answer for the roles it allows.

`PROTECTED_ROUTES` is the table; `test_every_route_is_public_or_in_the_access_table` keeps it
complete, so a new route cannot ship without its 401, 403 and allowed cases.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from app.core.roles import Role
from tests.support import (
    OTHER_KEY,
    bearer,
    forge_token,
    insert_api_key,
    insert_failed_mail,
    insert_item,
    session_id_of,
)

ALL = frozenset(Role)
ADMIN = frozenset({Role.ADMIN})
WRITERS = frozenset({Role.ADMIN, Role.USER})


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    allowed: frozenset[Role]
    success: int
    body: Callable[[], dict[str, Any]] | None = field(default=None)
    form: bool = False  # the body is a form (application/x-www-form-urlencoded), not JSON

    @property
    def id(self) -> str:
        return f"{self.method} {self.path}"


PROTECTED_ROUTES = [
    Route("GET", "/users/me", ALL, 200),
    Route("PATCH", "/users/me", ALL, 200, lambda: {}),
    Route("POST", "/auth/jwt/logout", ALL, 204),
    Route("GET", "/users/me/sessions", ALL, 200),
    Route("DELETE", "/users/me/sessions/{session_id}", ALL, 204),
    Route("GET", "/admin/users", ADMIN, 200),
    Route(
        "POST",
        "/admin/users",
        ADMIN,
        201,
        lambda: {"email": f"new-{uuid.uuid4().hex[:8]}@example.com", "password": "a-long-enough-password"},
    ),
    Route("GET", "/admin/users/{user_id}", ADMIN, 200),
    Route("PATCH", "/admin/users/{user_id}", ADMIN, 200, lambda: {"is_verified": True}),
    Route("DELETE", "/admin/users/{user_id}", ADMIN, 204),
    Route("POST", "/admin/users/{user_id}/unlock", ADMIN, 200),
    Route("POST", "/admin/users/{user_id}/revoke-sessions", ADMIN, 204),
    Route("GET", "/admin/users/{user_id}/sessions", ADMIN, 200),
    Route("DELETE", "/admin/users/{user_id}/sessions", ADMIN, 204),
    Route("GET", "/admin/status", ADMIN, 200),
    Route("POST", "/items", WRITERS, 201, lambda: {"title": "a new item"}),
    Route("GET", "/items", ALL, 200),
    Route("GET", "/items/{item_id}", ALL, 200),
    Route("PATCH", "/items/{item_id}", WRITERS, 200, lambda: {"title": "renamed"}),
    Route("DELETE", "/items/{item_id}", WRITERS, 204),
    Route("POST", "/api-keys", WRITERS, 201, lambda: {"name": "a script"}),
    Route("GET", "/api-keys", ALL, 200),
    Route("DELETE", "/api-keys/{api_key_id}", ALL, 204),
    Route("GET", "/admin/api-keys", ADMIN, 200),
    Route("DELETE", "/admin/api-keys/{api_key_id}", ADMIN, 204),
    # The second factor (the caller has none: confirming, regenerating and disabling are conflicts).
    Route("GET", "/users/me/mfa", ALL, 200),
    Route("POST", "/users/me/mfa/totp", ALL, 201),
    Route("POST", "/users/me/mfa/totp/confirm", ALL, 409, lambda: {"code": "000000"}),
    Route("POST", "/users/me/mfa/recovery-codes", ALL, 409, lambda: {"code": "000000"}),
    Route("DELETE", "/users/me/mfa", ALL, 409, lambda: {"code": "000000", "current_password": "a-long-password"}),
    Route("DELETE", "/admin/users/{user_id}/mfa", ADMIN, 204),
    Route("GET", "/admin/mail", ADMIN, 200),
    Route("POST", "/admin/mail/{mail_id}/retry", ADMIN, 202),
    # The audit trail.
    Route("GET", "/admin/audit-events", ADMIN, 200),
    Route("GET", "/users/me/security-events", ALL, 200),
    Route("POST", "/auth/introspect", ADMIN, 200, lambda: {"token": "not-a-token"}, form=True),
]

PUBLIC_ROUTES = {
    ("GET", "/health"),
    ("GET", "/ready"),
    ("POST", "/auth/jwt/login"),
    ("POST", "/auth/token"),
    ("GET", "/.well-known/oauth-authorization-server"),
    ("POST", "/auth/jwt/refresh"),
    ("POST", "/auth/jwt/revoke"),
    ("POST", "/auth/jwt/mfa"),
    ("GET", "/.well-known/jwks.json"),
    ("POST", "/auth/register"),
    ("POST", "/auth/forgot-password"),
    ("POST", "/auth/reset-password"),
    ("POST", "/auth/request-verify-token"),
    ("POST", "/auth/verify"),
    ("POST", "/auth/confirm-email-change"),
    # The console's cookie sign-in (tests/console/test_session_routes.py): credentials in, not a caller.
    ("POST", "/console/session"),
    ("POST", "/console/session/mfa"),
    ("POST", "/console/session/refresh"),
    ("POST", "/console/session/logout"),
}


def allowed_cases() -> list[Any]:
    return [
        pytest.param(route, role, id=f"{route.id} as {role.value}")
        for route in PROTECTED_ROUTES
        for role in sorted(route.allowed)
    ]


def forbidden_cases() -> list[Any]:
    return [
        pytest.param(route, role, id=f"{route.id} as {role.value}")
        for route in PROTECTED_ROUTES
        for role in sorted(ALL - route.allowed)
    ]


def _forged(settings, caller, **changes: Any) -> dict[str, str]:
    """A token for `caller`'s live session, valid but for `changes`."""
    return bearer(forge_token(settings, caller.id, sid=session_id_of(caller.token), **changes))


def _expired(settings, caller):
    now = int(time.time())
    return _forged(settings, caller, iat=now - 3600, exp=now - 1800)


BAD_CREDENTIALS: dict[str, Callable[[Any, Any], dict[str, str]]] = {
    "missing": lambda settings, caller: {},
    "malformed": lambda settings, caller: bearer("not.a.jwt"),
    "empty bearer": lambda settings, caller: {"Authorization": "Bearer "},
    "basic scheme": lambda settings, caller: {"Authorization": "Basic YWRtaW46YWRtaW4="},
    "expired": _expired,
    "signed with another key": lambda settings, caller: _forged(settings, caller, key=OTHER_KEY),
    "alg none": lambda settings, caller: _forged(settings, caller, algorithm="none"),
    "other algorithm": lambda settings, caller: _forged(settings, caller, algorithm="HS512"),
    "without a session": lambda settings, caller: bearer(forge_token(settings, caller.id)),
}


def unauthenticated_cases() -> list[Any]:
    return [
        pytest.param(route, kind, id=f"{route.id} with {kind} token")
        for route in PROTECTED_ROUTES
        for kind in BAD_CREDENTIALS
    ]


async def call(client, route: Route, *, headers: dict[str, str], **path_values: object):
    path = route.path.format(**path_values)
    body = route.body() if route.body else None
    if route.form:
        return await client.request(route.method, path, headers=headers, data=body)
    return await client.request(route.method, path, headers=headers, json=body)


async def prepare(app, accounts, role: Role) -> tuple[Any, dict[str, object]]:
    """A caller with `role`, plus a user, and an item, a session and an API key of the caller's own."""
    caller = await accounts.create(role=role)
    target = await accounts.create(role=Role.USER, login=False)
    item = await insert_item(app, owner_id=caller.id)
    api_key = await insert_api_key(app, owner_id=caller.id)
    mail = await insert_failed_mail(app, to=target.email)
    return caller, {
        "user_id": target.id,
        "item_id": item.id,
        "session_id": session_id_of(caller.token),
        "api_key_id": api_key.id,
        "mail_id": mail.id,
    }


@pytest.mark.parametrize(("route", "role"), allowed_cases())
async def test_route_answers_an_allowed_role(client, app, accounts, route, role):
    caller, path_values = await prepare(app, accounts, role)

    response = await call(client, route, headers=caller.headers, **path_values)

    assert response.status_code == route.success, response.text


@pytest.mark.parametrize(("route", "role"), forbidden_cases())
async def test_route_refuses_a_role_it_does_not_allow_with_403(client, app, accounts, route, role):
    caller, path_values = await prepare(app, accounts, role)

    response = await call(client, route, headers=caller.headers, **path_values)

    assert response.status_code == 403, response.text
    assert response.json()["detail"] == "FORBIDDEN"


@pytest.mark.parametrize(("route", "kind"), unauthenticated_cases())
async def test_route_refuses_bad_credentials_with_401_and_a_bearer_challenge(
    client, app, accounts, settings, route, kind
):
    # The forged tokens name a real admin, so only the token checks stand between them and access.
    admin, path_values = await prepare(app, accounts, Role.ADMIN)

    response = await call(client, route, headers=BAD_CREDENTIALS[kind](settings, admin), **path_values)

    assert response.status_code == 401, response.text
    assert response.headers["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize("route", PROTECTED_ROUTES, ids=lambda route: route.id)
async def test_route_refuses_the_token_of_a_deactivated_user_with_401(client, app, accounts, route):
    admin, path_values = await prepare(app, accounts, Role.ADMIN)
    await accounts.create(role=Role.ADMIN, login=False)  # so the deactivation is allowed
    await accounts.update(admin, is_active=False)

    response = await call(client, route, headers=admin.headers, **path_values)

    assert response.status_code == 401, response.text
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_every_route_is_public_or_in_the_access_table(app):
    paths = app.openapi()["paths"]
    documented = {(method.upper(), path) for path, operations in paths.items() for method in operations}
    protected = {(route.method, route.path) for route in PROTECTED_ROUTES}

    assert documented - PUBLIC_ROUTES == protected
    assert not protected & PUBLIC_ROUTES
