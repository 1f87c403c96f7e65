"""MFA_REQUIRED_ROLES: listed roles must enrol, and admin routes need a login with the factor."""

from __future__ import annotations

import asyncio

import pytest

from app.core.roles import Role
from tests.mfa.support import enrol, install_clock, mfa_token, second_step


@pytest.fixture
def settings_overrides():
    return {"mfa_required_roles": ["admin"]}


@pytest.fixture
def totp_clock(app):
    return install_clock(app)


async def test_a_listed_role_without_a_factor_may_log_in_and_reach_only_me_mfa_and_logout(client, admin):
    me = await client.get("/users/me", headers=admin.headers)
    status = await client.get("/users/me/mfa", headers=admin.headers)
    users = await client.get("/admin/users", headers=admin.headers)
    items = await client.get("/items", headers=admin.headers)
    logout = await client.post("/auth/jwt/logout", headers=admin.headers)

    assert me.status_code == status.status_code == 200
    assert users.status_code == items.status_code == 403
    assert users.json()["detail"] == items.json()["detail"] == "MFA_ENROLLMENT_REQUIRED"
    assert logout.status_code == 204


async def test_an_unlisted_role_is_not_asked_to_enrol(client, user):
    assert (await client.get("/items", headers=user.headers)).status_code == 200


async def test_a_listed_role_can_enrol_and_then_a_login_with_the_factor_reaches_admin_routes(client, admin, totp_clock):
    enrolled = await enrol(client, admin, totp_clock)
    token = await mfa_token(client, admin)
    login = await second_step(client, token, otp=enrolled.code(totp_clock.now))

    response = await client.get("/admin/users", headers={"Authorization": f"Bearer {login.json()['access_token']}"})

    assert response.status_code == 200


async def test_a_token_without_the_factor_from_an_admin_with_one_needs_a_step_up(client, admin, totp_clock):
    await enrol(client, admin, totp_clock)  # with the token of a password-only login

    admin_route = await client.get("/admin/users", headers=admin.headers)
    own_route = await client.get("/items", headers=admin.headers)

    assert admin_route.status_code == 403
    assert admin_route.json()["detail"] == "MFA_STEP_UP_REQUIRED"
    assert own_route.status_code == 200


async def test_an_api_key_of_an_admin_with_a_factor_keeps_working(client, admin, keys, totp_clock):
    await enrol(client, admin, totp_clock)
    key = await keys.create(admin)  # a separate credential, with its own role cap

    response = await client.get("/admin/users", headers=key.headers)

    assert response.status_code == 200


async def test_an_admin_reset_removes_the_factor_and_ends_the_users_sessions(client, admin, accounts, totp_clock):
    user = await accounts.create(role=Role.USER)
    enrolled = await enrol(client, user, totp_clock)
    login = await second_step(client, await mfa_token(client, user), otp=enrolled.code(totp_clock.now))
    stepped_up = await enrol_admin_with_factor(client, admin, totp_clock)

    response = await client.delete(f"/admin/users/{user.id}/mfa", headers=stepped_up)

    assert response.status_code == 204
    bearer = {"Authorization": f"Bearer {login.json()['access_token']}"}
    assert (await client.get("/users/me", headers=bearer)).status_code == 401
    assert (await client.get("/users/me", headers=user.headers)).status_code == 401
    view = await client.get(f"/admin/users/{user.id}", headers=stepped_up)
    assert view.json()["mfa_enabled"] is False
    again = await client.post("/auth/jwt/login", data={"username": user.email, "password": user.password})
    assert again.status_code == 200


async def test_the_admin_view_shows_mfa_enabled(client, admin, accounts, totp_clock):
    user = await accounts.create(role=Role.USER)
    await enrol(client, user, totp_clock)
    headers = await enrol_admin_with_factor(client, admin, totp_clock)

    view = await client.get(f"/admin/users/{user.id}", headers=headers)

    assert view.json()["mfa_enabled"] is True


async def test_another_worker_applies_a_factor_change_at_once(client, admin, other_worker, totp_clock):
    async with other_worker() as elsewhere:
        before = await elsewhere.get("/items", headers=admin.headers)
        await enrol(client, admin, totp_clock)

        # The other worker learns of the change from the auth events (within the poll interval).
        for _ in range(100):
            after = await elsewhere.get("/admin/users", headers=admin.headers)
            if after.json()["detail"] == "MFA_STEP_UP_REQUIRED":
                break
            await asyncio.sleep(0.05)

    assert before.status_code == 403 and before.json()["detail"] == "MFA_ENROLLMENT_REQUIRED"
    assert after.json()["detail"] == "MFA_STEP_UP_REQUIRED"


async def enrol_admin_with_factor(client, admin, clock) -> dict[str, str]:
    """Enrol the admin and log in with the factor: headers that pass the step-up."""
    enrolled = await enrol(client, admin, clock)
    login = await second_step(client, await mfa_token(client, admin), otp=enrolled.code(clock.now))
    clock.advance()
    return {"Authorization": f"Bearer {login.json()['access_token']}"}
