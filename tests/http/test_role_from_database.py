"""The role and the active flag are read from the database on every request, so a change applies
to the next request whatever tokens the user already holds."""

from __future__ import annotations

from app.core.roles import Role


async def test_demoted_admin_gets_403_on_the_next_request_with_the_old_token(client, admin, accounts):
    await accounts.create(role=Role.ADMIN, login=False)
    assert (await client.get("/admin/users", headers=admin.headers)).status_code == 200

    await accounts.update(admin, role=Role.USER, is_superuser=False)

    response = await client.get("/admin/users", headers=admin.headers)
    assert response.status_code == 403


async def test_admin_demoted_through_the_api_gets_403_with_the_old_token(client, admin, accounts):
    other_admin = await accounts.create(role=Role.ADMIN)

    demoted = await client.patch(f"/admin/users/{admin.id}", json={"role": "user"}, headers=other_admin.headers)
    assert demoted.status_code == 200

    response = await client.get("/admin/users", headers=admin.headers)
    assert response.status_code == 403


async def test_promoted_user_gets_admin_access_with_the_old_token(client, user, accounts):
    await accounts.update(user, role=Role.ADMIN, is_superuser=True)

    response = await client.get("/admin/users", headers=user.headers)

    assert response.status_code == 200


async def test_user_demoted_to_guest_can_no_longer_create_items(client, user, accounts):
    await accounts.update(user, role=Role.GUEST)

    response = await client.post("/items", json={"title": "a new item"}, headers=user.headers)

    assert response.status_code == 403


async def test_deactivated_user_gets_401_on_the_next_request_with_the_old_token(client, user, accounts):
    assert (await client.get("/users/me", headers=user.headers)).status_code == 200

    await accounts.update(user, is_active=False)

    response = await client.get("/users/me", headers=user.headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"


async def test_reactivated_user_is_let_in_again_with_the_same_token(client, user, accounts):
    await accounts.update(user, is_active=False)
    await accounts.update(user, is_active=True)

    response = await client.get("/users/me", headers=user.headers)

    assert response.status_code == 200
