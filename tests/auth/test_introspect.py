"""`POST /auth/introspect` (RFC 7662): who may ask, what a live token says, and `{"active": false}`."""

from __future__ import annotations

import time

import pytest

from app.core.roles import ROLE_PERMISSIONS, Permission, Role
from tests.support import OTHER_KEY, forge_token, session_id_of

INTROSPECT = "/auth/introspect"


@pytest.fixture
async def introspector(admin, keys):
    """What a resource server holds: an API key whose role has `tokens:introspect`."""
    return (await keys.create(admin, name="resource server", role="admin")).headers


async def introspect(client, headers, token, **extra):
    response = await client.post(INTROSPECT, data={"token": token, **extra}, headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["Cache-Control"] == "no-store"
    return response.json()


def test_admins_hold_the_permission_by_default():
    assert Permission.TOKENS_INTROSPECT in ROLE_PERMISSIONS[Role.ADMIN]
    assert Permission.TOKENS_INTROSPECT not in ROLE_PERMISSIONS[Role.USER]
    assert Permission.TOKENS_INTROSPECT not in ROLE_PERMISSIONS[Role.GUEST]


async def test_without_credentials_401(client, user):
    response = await client.post(INTROSPECT, data={"token": user.token})
    assert response.status_code == 401


async def test_callers_without_the_permission_403(client, user, keys):
    user_key = await keys.create(user, role="user")
    for headers in (user.headers, user_key.headers):
        response = await client.post(INTROSPECT, data={"token": user.token}, headers=headers)
        assert response.status_code == 403
        assert response.json()["detail"] == "FORBIDDEN"


async def test_an_admin_key_capped_below_admin_403(client, admin, keys, user):
    capped = await keys.create(admin, role="user")
    response = await client.post(INTROSPECT, data={"token": user.token}, headers=capped.headers)
    assert response.status_code == 403


async def test_a_missing_token_is_invalid_request(client, introspector):
    response = await client.post(INTROSPECT, data={}, headers=introspector)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


async def test_a_live_access_token(client, introspector, user, settings):
    body = await introspect(client, introspector, user.token, token_type_hint="access_token")
    assert body["active"] is True
    assert body["token_type"] == "access_token"
    assert body["sub"] == str(user.id)
    assert body["username"] == user.email
    assert body["role"] == "user"
    assert body["sid"] == session_id_of(user.token)
    assert body["amr"] == ["pwd"]
    assert body["iss"] == settings.jwt_issuer
    assert body["aud"] == settings.jwt_audience
    assert body["iat"] <= time.time() < body["exp"]


async def test_logout_shows_at_once(client, introspector, user):
    assert (await client.post("/auth/jwt/logout", headers=user.headers)).status_code == 204
    assert await introspect(client, introspector, user.token) == {"active": False}


async def test_a_demotion_shows_at_once(client, introspector, user, admin):
    response = await client.patch(f"/admin/users/{user.id}", json={"role": "guest"}, headers=admin.headers)
    assert response.status_code == 200
    body = await introspect(client, introspector, user.token)
    assert body["active"] is True
    assert body["role"] == "guest"


async def test_a_deactivation_shows_at_once(client, introspector, user, admin):
    response = await client.patch(f"/admin/users/{user.id}", json={"is_active": False}, headers=admin.headers)
    assert response.status_code == 200
    assert await introspect(client, introspector, user.token) == {"active": False}


async def test_refresh_tokens(client, introspector, accounts):
    account = await accounts.create(login=False)
    tokens = (
        await client.post("/auth/jwt/login", data={"username": account.email, "password": account.password})
    ).json()
    body = await introspect(client, introspector, tokens["refresh_token"])
    assert body["active"] is True
    assert body["token_type"] == "refresh_token"
    assert body["sub"] == str(account.id)
    assert body["sid"] == session_id_of(tokens["access_token"])
    assert body["iat"] <= time.time() < body["exp"]
    # Introspection spends nothing: the token still refreshes, after which it is spent.
    refreshed = await client.post(
        "/auth/jwt/refresh", data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    )
    assert refreshed.status_code == 200
    assert await introspect(client, introspector, tokens["refresh_token"]) == {"active": False}
    new = refreshed.json()["refresh_token"]
    assert (await introspect(client, introspector, new))["active"] is True
    await client.post("/auth/jwt/revoke", data={"token": new})
    assert await introspect(client, introspector, new) == {"active": False}


async def test_api_keys(client, introspector, user, keys):
    issued = await keys.create(user, role="guest")
    body = await introspect(client, introspector, issued.key)
    assert body == {
        "active": True,
        "token_type": "api_key",
        "sub": str(user.id),
        "username": user.email,
        "role": "guest",
        "key_id": str(issued.id),
        **({"exp": body["exp"]} if "exp" in body else {}),
    }
    assert (await client.delete(f"/api-keys/{issued.id}", headers=user.headers)).status_code == 204
    assert await introspect(client, introspector, issued.key) == {"active": False}


async def test_anything_else_is_inactive_never_an_error(client, introspector, user, settings):
    expired = forge_token(
        settings, user.id, sid=session_id_of(user.token), iat=int(time.time()) - 4000, exp=int(time.time()) - 3000
    )
    for token in (
        "garbage",
        "gatehouse_rt_unknown",
        "gatehouse_" + "A" * 40,
        "x" * 20_000,
        "a.b.c",
        expired,
        forge_token(settings, user.id, key=OTHER_KEY, sid=session_id_of(user.token)),
        forge_token(settings, user.id, algorithm="none", sid=session_id_of(user.token)),
        user.token + "x",
    ):
        assert await introspect(client, introspector, token) == {"active": False}, token[:40]


async def test_the_introspection_key_itself_stays_usable(client, introspector, user):
    for _ in range(3):
        assert (await introspect(client, introspector, user.token))["active"] is True
    assert (await client.get("/users/me", headers=introspector)).status_code == 200
