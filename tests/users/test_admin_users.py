"""/admin/users: account management by admins."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy import func, select

from app.core.roles import Role
from app.items.models import Item
from app.users.models import User
from tests.factories import DEFAULT_PASSWORD

NEW_PASSWORD = "a-brand-new-password"


# --- list ---------------------------------------------------------------------------------------


async def test_list_answers_items_and_total(client, admin, accounts):
    await accounts.create(role=Role.USER, login=False)
    await accounts.create(role=Role.GUEST, login=False)

    response = await client.get("/admin/users", headers=admin.headers)

    assert response.status_code == 200
    body = response.json()
    assert body["total"] == 3
    assert len(body["items"]) == 3
    assert {item["role"] for item in body["items"]} == {"admin", "user", "guest"}
    assert all("hashed_password" not in item for item in body["items"])


async def test_list_limit_and_offset_page_through_all_users(client, admin, accounts):
    for _ in range(4):
        await accounts.create(login=False)

    first = (await client.get("/admin/users", params={"limit": 2, "offset": 0}, headers=admin.headers)).json()
    second = (await client.get("/admin/users", params={"limit": 2, "offset": 2}, headers=admin.headers)).json()
    third = (await client.get("/admin/users", params={"limit": 2, "offset": 4}, headers=admin.headers)).json()

    assert first["total"] == second["total"] == third["total"] == 5
    assert [len(page["items"]) for page in (first, second, third)] == [2, 2, 1]
    ids = [item["id"] for page in (first, second, third) for item in page["items"]]
    assert len(set(ids)) == 5


async def test_list_filters_by_role(client, admin, accounts):
    guest = await accounts.create(role=Role.GUEST, login=False)
    await accounts.create(role=Role.USER, login=False)

    body = (await client.get("/admin/users", params={"role": "guest"}, headers=admin.headers)).json()

    assert body["total"] == 1
    assert [item["id"] for item in body["items"]] == [str(guest.id)]


async def test_list_filters_by_is_active(client, admin, accounts):
    inactive = await accounts.create(login=False)
    await accounts.update(inactive, is_active=False)
    await accounts.create(login=False)

    body = (await client.get("/admin/users", params={"is_active": "false"}, headers=admin.headers)).json()

    assert body["total"] == 1
    assert [item["id"] for item in body["items"]] == [str(inactive.id)]


async def test_list_q_matches_part_of_the_email_case_insensitively(client, admin, accounts):
    match = await accounts.create(email="carol.smith@example.com", login=False)
    await accounts.create(email="dave@example.com", login=False)

    body = (await client.get("/admin/users", params={"q": "SMITH"}, headers=admin.headers)).json()

    assert body["total"] == 1
    assert [item["id"] for item in body["items"]] == [str(match.id)]


async def test_list_q_treats_like_wildcards_literally(client, admin, accounts):
    await accounts.create(email="carol@example.com", login=False)

    body = (await client.get("/admin/users", params={"q": "c%l"}, headers=admin.headers)).json()

    assert body["total"] == 0


async def test_list_with_an_out_of_range_limit_is_a_validation_error(client, admin):
    response = await client.get("/admin/users", params={"limit": 0}, headers=admin.headers)

    assert response.status_code == 422


async def test_list_with_an_unknown_role_is_a_validation_error(client, admin):
    response = await client.get("/admin/users", params={"role": "superuser"}, headers=admin.headers)

    assert response.status_code == 422


# --- create -------------------------------------------------------------------------------------


async def test_create_answers_201_with_the_user(client, admin):
    response = await client.post(
        "/admin/users", json={"email": "New@Example.com", "password": DEFAULT_PASSWORD}, headers=admin.headers
    )

    assert response.status_code == 201
    body = response.json()
    assert body["email"] == "new@example.com"
    assert body["role"] == "user"
    assert body["is_active"] is True
    uuid.UUID(body["id"])


@pytest.mark.parametrize("role", list(Role))
async def test_create_honours_the_role(client, admin, role):
    response = await client.post(
        "/admin/users",
        json={"email": "new@example.com", "password": DEFAULT_PASSWORD, "role": role.value},
        headers=admin.headers,
    )

    assert response.status_code == 201
    assert response.json()["role"] == role.value


async def test_created_user_can_log_in_with_the_given_password(client, admin, accounts):
    await client.post(
        "/admin/users", json={"email": "new@example.com", "password": DEFAULT_PASSWORD}, headers=admin.headers
    )

    assert await accounts.login("new@example.com", DEFAULT_PASSWORD)


async def test_create_with_an_email_already_taken_is_refused(client, admin, user):
    response = await client.post(
        "/admin/users", json={"email": user.email.upper(), "password": DEFAULT_PASSWORD}, headers=admin.headers
    )

    assert response.status_code == 400
    assert response.json()["detail"] == "REGISTER_USER_ALREADY_EXISTS"


async def test_create_with_a_weak_password_is_refused_with_a_reason(client, admin):
    response = await client.post(
        "/admin/users", json={"email": "new@example.com", "password": "short"}, headers=admin.headers
    )

    assert response.status_code == 400
    detail = response.json()["detail"]
    assert detail["code"] == "REGISTER_INVALID_PASSWORD"
    assert detail["reason"]


# --- read ---------------------------------------------------------------------------------------


async def test_get_answers_the_user(client, admin, user):
    response = await client.get(f"/admin/users/{user.id}", headers=admin.headers)

    assert response.status_code == 200
    assert response.json()["email"] == user.email


async def test_get_unknown_id_is_404(client, admin):
    response = await client.get(f"/admin/users/{uuid.uuid4()}", headers=admin.headers)

    assert response.status_code == 404
    assert response.json()["detail"] == "USER_NOT_FOUND"


async def test_get_malformed_id_is_422(client, admin):
    response = await client.get("/admin/users/not-a-uuid", headers=admin.headers)

    assert response.status_code == 422


# --- update -------------------------------------------------------------------------------------


async def test_patch_changes_the_role_and_it_applies_to_the_next_request(client, admin, user):
    response = await client.patch(f"/admin/users/{user.id}", json={"role": "admin"}, headers=admin.headers)

    assert response.status_code == 200
    assert response.json()["role"] == "admin"
    assert (await client.get("/admin/users", headers=user.headers)).status_code == 200


async def test_patch_deactivating_a_user_makes_their_token_stop_working(client, admin, user):
    response = await client.patch(f"/admin/users/{user.id}", json={"is_active": False}, headers=admin.headers)

    assert response.status_code == 200
    assert response.json()["is_active"] is False
    assert (await client.get("/users/me", headers=user.headers)).status_code == 401


async def test_patch_reactivating_a_user_lets_them_log_in_again(client, admin, user, accounts):
    await client.patch(f"/admin/users/{user.id}", json={"is_active": False}, headers=admin.headers)
    await client.patch(f"/admin/users/{user.id}", json={"is_active": True}, headers=admin.headers)

    assert await accounts.login(user.email, user.password)


async def test_patch_sets_is_verified(client, admin, accounts):
    target = await accounts.create(login=False)
    await accounts.update(target, is_verified=False)

    response = await client.patch(f"/admin/users/{target.id}", json={"is_verified": True}, headers=admin.headers)

    assert response.status_code == 200
    assert response.json()["is_verified"] is True


async def test_patch_changes_the_email(client, admin, user, accounts):
    response = await client.patch(
        f"/admin/users/{user.id}", json={"email": "Renamed@Example.com"}, headers=admin.headers
    )

    assert response.status_code == 200
    assert response.json()["email"] == "renamed@example.com"
    assert await accounts.login("renamed@example.com", user.password)


async def test_patch_to_an_email_already_taken_is_refused(client, admin, user):
    response = await client.patch(f"/admin/users/{user.id}", json={"email": admin.email}, headers=admin.headers)

    assert response.status_code == 400
    assert response.json()["detail"] == "UPDATE_USER_EMAIL_ALREADY_EXISTS"


async def test_patch_sets_the_password(client, admin, user, accounts):
    response = await client.patch(f"/admin/users/{user.id}", json={"password": NEW_PASSWORD}, headers=admin.headers)

    assert response.status_code == 200
    assert await accounts.login(user.email, NEW_PASSWORD)
    old = await client.post("/auth/jwt/login", data={"username": user.email, "password": user.password})
    assert old.status_code == 400


async def test_patch_with_a_weak_password_is_refused_with_a_reason(client, admin, user):
    response = await client.patch(f"/admin/users/{user.id}", json={"password": "short"}, headers=admin.headers)

    assert response.status_code == 400
    assert response.json()["detail"]["code"] == "UPDATE_USER_INVALID_PASSWORD"


async def test_patch_unknown_id_is_404(client, admin):
    response = await client.patch(f"/admin/users/{uuid.uuid4()}", json={"role": "user"}, headers=admin.headers)

    assert response.status_code == 404


async def test_patch_with_an_unknown_role_is_a_validation_error(client, admin, user):
    response = await client.patch(f"/admin/users/{user.id}", json={"role": "root"}, headers=admin.headers)

    assert response.status_code == 422


# --- delete -------------------------------------------------------------------------------------


async def test_delete_answers_204_and_the_user_is_gone(client, admin, user):
    response = await client.delete(f"/admin/users/{user.id}", headers=admin.headers)

    assert response.status_code == 204
    assert (await client.get(f"/admin/users/{user.id}", headers=admin.headers)).status_code == 404


async def test_deleted_users_token_stops_working(client, admin, user):
    await client.delete(f"/admin/users/{user.id}", headers=admin.headers)

    response = await client.get("/users/me", headers=user.headers)

    assert response.status_code == 401


async def test_deleting_a_user_deletes_their_items(client, app, admin, user):
    created = await client.post("/items", json={"title": "mine"}, headers=user.headers)
    item_id = created.json()["id"]

    await client.delete(f"/admin/users/{user.id}", headers=admin.headers)

    async with app.state.services.database.sessionmaker() as session:
        assert await session.get(Item, uuid.UUID(item_id)) is None


async def test_delete_unknown_id_is_404(client, admin):
    response = await client.delete(f"/admin/users/{uuid.uuid4()}", headers=admin.headers)

    assert response.status_code == 404


async def test_delete_malformed_id_is_422(client, admin):
    response = await client.delete("/admin/users/42", headers=admin.headers)

    assert response.status_code == 422


# --- the last active admin ----------------------------------------------------------------------


async def test_demoting_the_last_active_admin_is_409(client, admin):
    response = await client.patch(f"/admin/users/{admin.id}", json={"role": "user"}, headers=admin.headers)

    assert response.status_code == 409
    assert response.json()["detail"] == "LAST_ADMIN"
    assert (await client.get("/users/me", headers=admin.headers)).json()["role"] == "admin"


async def test_deactivating_the_last_active_admin_is_409(client, admin):
    response = await client.patch(f"/admin/users/{admin.id}", json={"is_active": False}, headers=admin.headers)

    assert response.status_code == 409
    assert response.json()["detail"] == "LAST_ADMIN"
    assert (await client.get("/users/me", headers=admin.headers)).json()["is_active"] is True


async def test_deleting_the_last_active_admin_is_409(client, admin):
    response = await client.delete(f"/admin/users/{admin.id}", headers=admin.headers)

    assert response.status_code == 409
    assert response.json()["detail"] == "LAST_ADMIN"
    assert (await client.get("/users/me", headers=admin.headers)).status_code == 200


async def test_an_inactive_admin_does_not_count_as_another_admin(client, admin, accounts):
    dormant = await accounts.create(role=Role.ADMIN, login=False)
    await accounts.update(dormant, is_active=False)

    response = await client.patch(f"/admin/users/{admin.id}", json={"role": "user"}, headers=admin.headers)

    assert response.status_code == 409


async def test_demoting_an_admin_while_another_is_active_succeeds(client, admin, accounts):
    other = await accounts.create(role=Role.ADMIN)

    response = await client.patch(f"/admin/users/{other.id}", json={"role": "user"}, headers=admin.headers)

    assert response.status_code == 200
    assert response.json()["role"] == "user"


async def test_an_admin_may_demote_themselves_while_another_is_active(client, admin, accounts):
    await accounts.create(role=Role.ADMIN, login=False)

    response = await client.patch(f"/admin/users/{admin.id}", json={"role": "user"}, headers=admin.headers)

    assert response.status_code == 200
    assert (await client.get("/admin/users", headers=admin.headers)).status_code == 403


async def test_deactivating_an_admin_while_another_is_active_succeeds(client, admin, accounts):
    other = await accounts.create(role=Role.ADMIN)

    response = await client.patch(f"/admin/users/{other.id}", json={"is_active": False}, headers=admin.headers)

    assert response.status_code == 200
    assert response.json()["is_active"] is False


async def test_deleting_an_admin_while_another_is_active_succeeds(client, admin, accounts):
    other = await accounts.create(role=Role.ADMIN)

    response = await client.delete(f"/admin/users/{other.id}", headers=admin.headers)

    assert response.status_code == 204


async def test_the_last_admin_may_still_change_their_own_email_and_password(client, admin, accounts):
    response = await client.patch(
        f"/admin/users/{admin.id}",
        json={"email": "boss@example.com", "password": NEW_PASSWORD, "role": "admin", "is_active": True},
        headers=admin.headers,
    )

    assert response.status_code == 200
    assert await accounts.login("boss@example.com", NEW_PASSWORD)


async def test_two_admins_demoting_each_other_at_once_leave_one_admin(client, app, admin, accounts):
    other = await accounts.create(role=Role.ADMIN)

    responses = await asyncio.gather(
        client.patch(f"/admin/users/{other.id}", json={"role": "user"}, headers=admin.headers),
        client.patch(f"/admin/users/{admin.id}", json={"role": "user"}, headers=other.headers),
    )

    # The loser is refused as the last admin (409), or was already demoted when it called (403).
    statuses = sorted(response.status_code for response in responses)
    assert statuses in ([200, 403], [200, 409]), [r.text for r in responses]
    assert await active_admin_count(app) == 1


async def test_two_admins_deleting_each_other_at_once_leave_one_admin(client, app, admin, accounts):
    other = await accounts.create(role=Role.ADMIN)

    responses = await asyncio.gather(
        client.delete(f"/admin/users/{other.id}", headers=admin.headers),
        client.delete(f"/admin/users/{admin.id}", headers=other.headers),
    )

    # The loser is refused as the last admin (409), or was already deleted when it called (401).
    statuses = sorted(response.status_code for response in responses)
    assert statuses in ([204, 401], [204, 409]), [r.text for r in responses]
    assert await active_admin_count(app) == 1


async def active_admin_count(app) -> int:
    async with app.state.services.database.sessionmaker() as session:
        count = await session.scalar(
            select(func.count()).select_from(User).where(User.role == Role.ADMIN, User.is_active.is_(True))
        )
    return int(count or 0)


async def test_create_with_a_very_long_password_is_refused_with_a_reason(client, admin):
    response = await client.post(
        "/admin/users", json={"email": "new@example.com", "password": "x" * 5000}, headers=admin.headers
    )

    assert response.status_code == 400
    assert "256" in response.json()["detail"]["reason"]
