"""Events that end sessions: a new password (self, reset, admin), deactivation, and an admin's
POST /admin/users/{id}/revoke-sessions."""

from __future__ import annotations

import uuid

from tests.sessions.support import (
    assert_access_refused,
    assert_access_works,
    assert_invalid_grant,
    bearer,
    login,
    refresh,
    refreshed,
    sessions_of,
)
from tests.support import session_id_of

NEW_PASSWORD = "another-long-enough-password"


async def test_changing_ones_password_ends_the_other_sessions(client, user):
    other = await login(client, user.email, user.password)

    response = await client.patch(
        "/users/me", json={"password": NEW_PASSWORD, "current_password": user.password}, headers=user.headers
    )

    assert response.status_code == 200, response.text
    await assert_access_refused(client, other["access_token"])
    assert_invalid_grant(await refresh(client, other["refresh_token"]))


async def test_changing_ones_password_keeps_the_current_session(client, user):
    current = await login(client, user.email, user.password)

    await client.patch(
        "/users/me",
        json={"password": NEW_PASSWORD, "current_password": user.password},
        headers=bearer(current["access_token"]),
    )

    await assert_access_works(client, current["access_token"])
    await assert_access_works(client, (await refreshed(client, current["refresh_token"]))["access_token"])


async def test_changing_only_ones_email_ends_no_session(client, user):
    other = await login(client, user.email, user.password)

    response = await client.patch(
        "/users/me", json={"email": "renamed@example.com", "current_password": user.password}, headers=user.headers
    )

    assert response.status_code == 200
    await assert_access_works(client, other["access_token"])


async def test_a_refused_new_password_ends_no_session(client, user):
    other = await login(client, user.email, user.password)

    response = await client.patch(
        "/users/me", json={"password": "short", "current_password": user.password}, headers=user.headers
    )

    assert response.status_code == 400
    await assert_access_works(client, other["access_token"])


async def test_password_change_records_the_reason(client, app, user):
    other = await login(client, user.email, user.password)

    await client.patch(
        "/users/me", json={"password": NEW_PASSWORD, "current_password": user.password}, headers=user.headers
    )

    [ended] = [s for s in await sessions_of(app, user.id) if s.revoked_at is not None]
    assert str(ended.id) == session_id_of(other["access_token"])
    assert ended.revoked_reason == "password_changed"


async def test_resetting_the_password_ends_every_session(client, user, notifier):
    other = await login(client, user.email, user.password)
    await client.post("/auth/forgot-password", json={"email": user.email})

    response = await client.post(
        "/auth/reset-password", json={"token": notifier.reset_tokens[user.email], "password": NEW_PASSWORD}
    )

    assert response.status_code == 200, response.text
    await assert_access_refused(client, user.token)
    await assert_access_refused(client, other["access_token"])
    assert_invalid_grant(await refresh(client, other["refresh_token"]))
    await login(client, user.email, NEW_PASSWORD)


async def test_an_admin_setting_the_password_ends_every_session_of_the_user(client, admin, user):
    other = await login(client, user.email, user.password)

    response = await client.patch(f"/admin/users/{user.id}", json={"password": NEW_PASSWORD}, headers=admin.headers)

    assert response.status_code == 200, response.text
    await assert_access_refused(client, user.token)
    assert_invalid_grant(await refresh(client, other["refresh_token"]))
    await assert_access_works(client, admin.token)


async def test_an_admin_changing_only_the_role_ends_no_session(client, admin, user):
    response = await client.patch(f"/admin/users/{user.id}", json={"role": "guest"}, headers=admin.headers)

    assert response.status_code == 200
    await assert_access_works(client, user.token)


async def test_deactivation_ends_the_sessions_for_good(client, admin, user):
    other = await login(client, user.email, user.password)

    await client.patch(f"/admin/users/{user.id}", json={"is_active": False}, headers=admin.headers)
    assert_invalid_grant(await refresh(client, other["refresh_token"]))
    await client.patch(f"/admin/users/{user.id}", json={"is_active": True}, headers=admin.headers)

    # Reactivation does not bring the old sessions back.
    assert_invalid_grant(await refresh(client, other["refresh_token"]))
    await assert_access_refused(client, user.token)


async def test_admin_revoke_sessions_ends_every_session_of_the_user(client, app, admin, user):
    other = await login(client, user.email, user.password)

    response = await client.post(f"/admin/users/{user.id}/revoke-sessions", headers=admin.headers)

    assert response.status_code == 204
    await assert_access_refused(client, user.token)
    await assert_access_refused(client, other["access_token"])
    assert_invalid_grant(await refresh(client, other["refresh_token"]))
    assert {session.revoked_reason for session in await sessions_of(app, user.id)} == {"revoked_by_admin"}


async def test_admin_revoke_sessions_leaves_other_users_alone(client, admin, user, accounts):
    bystander = await accounts.create()

    await client.post(f"/admin/users/{user.id}/revoke-sessions", headers=admin.headers)

    await assert_access_works(client, bystander.token)
    await assert_access_works(client, admin.token)


async def test_the_user_can_log_in_again_after_admin_revocation(client, admin, user):
    await client.post(f"/admin/users/{user.id}/revoke-sessions", headers=admin.headers)

    fresh = await login(client, user.email, user.password)

    await assert_access_works(client, fresh["access_token"])


async def test_admin_revoke_sessions_of_an_unknown_user_is_404(client, admin):
    response = await client.post(f"/admin/users/{uuid.uuid4()}/revoke-sessions", headers=admin.headers)

    assert response.status_code == 404


async def test_admin_revoke_sessions_is_refused_to_a_user_with_403(client, user, accounts):
    victim = await accounts.create()

    response = await client.post(f"/admin/users/{victim.id}/revoke-sessions", headers=user.headers)

    assert response.status_code == 403
    await assert_access_works(client, victim.token)


async def test_admin_revoke_sessions_without_credentials_is_401(client, user):
    response = await client.post(f"/admin/users/{user.id}/revoke-sessions")

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"


async def test_an_admin_setting_their_own_password_keeps_their_current_session(client, admin):
    other = await login(client, admin.email, admin.password)

    response = await client.patch(f"/admin/users/{admin.id}", json={"password": NEW_PASSWORD}, headers=admin.headers)

    assert response.status_code == 200, response.text
    await assert_access_works(client, admin.token)
    await assert_access_refused(client, other["access_token"])
