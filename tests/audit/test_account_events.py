"""Account events: each recorded by the flow that causes it, in that flow's transaction."""

from __future__ import annotations

import uuid

import pytest

from app.core.roles import Role
from app.users.bootstrap import promote_to_admin
from tests.audit.support import by_user, events, one
from tests.factories import DEFAULT_PASSWORD, log_in

NEW_PASSWORD = "another-long-enough-password"


async def test_registration_is_recorded_by_the_account_itself(app, client):
    response = await client.post("/auth/register", json={"email": "ada@example.com", "password": DEFAULT_PASSWORD})
    assert response.status_code == 201
    user_id = uuid.UUID(response.json()["id"])

    event = await one(app, "user.registered")

    assert by_user(event, user_id)
    assert event.target_user_id == user_id
    assert event.details == {"email": "ada@example.com", "role": "user", "is_verified": False}
    assert DEFAULT_PASSWORD not in str(event.details)


async def test_an_admin_creating_an_account_is_user_created_by_that_admin(app, client, admin):
    response = await client.post(
        "/admin/users", json={"email": "bob@example.com", "password": DEFAULT_PASSWORD}, headers=admin.headers
    )
    assert response.status_code == 201

    event = await one(app, "user.created")

    assert by_user(event, admin.id)
    assert event.target_user_id == uuid.UUID(response.json()["id"])
    assert await events(app, "user.registered") == []


@pytest.mark.parametrize(
    "settings_overrides", [{"first_admin_email": "root@example.com", "first_admin_password": DEFAULT_PASSWORD}]
)
async def test_the_first_admin_created_at_start_up_is_user_created_by_system(app):
    event = await one(app, "user.created")

    assert event.actor_kind == "system" and event.actor_id is None
    assert event.details["email"] == "root@example.com"
    assert event.details["role"] == "admin"
    assert event.ip_address is None


async def test_an_admin_change_is_user_updated_naming_the_fields_plus_each_specific_type(app, client, admin, user):
    response = await client.patch(
        f"/admin/users/{user.id}", json={"role": "guest", "is_active": False}, headers=admin.headers
    )
    assert response.status_code == 200

    updated = await one(app, "user.updated")
    role = await one(app, "user.role_changed")
    deactivated = await one(app, "user.deactivated")

    assert updated.details == {"fields": ["is_active", "role"]}
    assert role.details == {"from": "user", "to": "guest"}
    assert {updated.target_user_id, role.target_user_id, deactivated.target_user_id} == {user.id}
    assert all(by_user(event, admin.id) for event in (updated, role, deactivated))


async def test_reactivation_and_verification_by_an_admin(app, client, admin, accounts):
    target = await accounts.create(login=False)
    await accounts.update(target, is_active=False, is_verified=False)

    response = await client.patch(
        f"/admin/users/{target.id}", json={"is_active": True, "is_verified": True}, headers=admin.headers
    )
    assert response.status_code == 200

    assert (await one(app, "user.updated")).details == {"fields": ["is_active", "is_verified"]}
    assert (await one(app, "user.reactivated")).target_user_id == target.id
    assert (await one(app, "user.verified")).target_user_id == target.id


async def test_an_admin_setting_a_password_or_email_records_those_changes(app, client, admin, user):
    response = await client.patch(
        f"/admin/users/{user.id}", json={"password": NEW_PASSWORD, "email": "new@example.com"}, headers=admin.headers
    )
    assert response.status_code == 200

    assert (await one(app, "user.updated")).details == {"fields": ["email", "password"]}
    assert (await one(app, "password.changed")).details == {"by_admin": True}
    assert (await one(app, "email.changed")).details == {"from": user.email, "to": "new@example.com"}
    assert NEW_PASSWORD not in str([event.details for event in await events(app)])


async def test_a_patch_that_changes_nothing_records_nothing(app, client, admin, user):
    response = await client.patch(f"/admin/users/{user.id}", json={"role": "user"}, headers=admin.headers)
    assert response.status_code == 200

    assert await events(app, "user.") == []


async def test_following_the_verification_link_is_user_verified(app, client, notifier):
    await client.post("/auth/register", json={"email": "eve@example.com", "password": DEFAULT_PASSWORD})
    token = notifier.verify_tokens["eve@example.com"]

    response = await client.post("/auth/verify", json={"token": token})
    assert response.status_code == 200

    event = await one(app, "user.verified")
    assert by_user(event, uuid.UUID(response.json()["id"]))


async def test_deleting_a_user_is_recorded_and_their_events_outlive_them(app, client, admin, user):
    response = await client.delete(f"/admin/users/{user.id}", headers=admin.headers)
    assert response.status_code == 204

    deleted = await one(app, "user.deleted")
    assert by_user(deleted, admin.id)
    assert deleted.details == {"email": user.email, "role": "user"}
    # The user's login (recorded by the fixture) is still there, found by the deleted id.
    listing = await client.get("/admin/audit-events", params={"target_user_id": str(user.id)}, headers=admin.headers)
    assert [item["type"] for item in listing.json()["items"]] == ["user.deleted", "login.succeeded"]


async def test_an_admin_unlock_is_user_unlocked(app, client, admin, user):
    for _ in range(3):
        await log_in(client, user.email)

    response = await client.post(f"/admin/users/{user.id}/unlock", headers=admin.headers)
    assert response.status_code == 200

    event = await one(app, "user.unlocked")
    assert by_user(event, admin.id)
    assert event.details == {"failed_count": 3, "was_locked": False}


async def test_changing_ones_own_password_is_password_changed(app, client, user):
    response = await client.patch(
        "/users/me", json={"password": NEW_PASSWORD, "current_password": user.password}, headers=user.headers
    )
    assert response.status_code == 200

    event = await one(app, "password.changed")
    assert by_user(event, user.id)
    assert event.details == {"by_admin": False}
    assert await events(app, "user.updated") == []


async def test_a_reset_request_and_the_reset_itself(app, client, user, notifier):
    response = await client.post("/auth/forgot-password", json={"email": user.email})
    assert response.status_code == 202
    requested = await one(app, "password.reset_requested")
    assert requested.actor_kind == "anonymous"
    assert requested.target_user_id == user.id
    assert requested.ip_address == "203.0.113.10"

    token = notifier.reset_tokens[user.email]
    reset = await client.post("/auth/reset-password", json={"token": token, "password": NEW_PASSWORD})
    assert reset.status_code == 200

    event = await one(app, "password.reset")
    assert by_user(event, user.id)
    assert token not in str(event.details) and token not in str(requested.details)


async def test_a_reset_request_for_an_unknown_email_records_nothing(app, client):
    response = await client.post("/auth/forgot-password", json={"email": "nobody@example.com"})
    assert response.status_code == 202

    assert await events(app, "password.") == []


async def test_an_email_change_request_and_its_confirmation(app, client, user, notifier):
    response = await client.patch(
        "/users/me", json={"email": "ada.new@example.com", "current_password": user.password}, headers=user.headers
    )
    assert response.status_code == 200
    requested = await one(app, "email.change_requested")
    assert requested.details == {"email": user.email, "new_email": "ada.new@example.com"}

    confirmed = await client.post(
        "/auth/confirm-email-change", json={"token": notifier.email_change_tokens["ada.new@example.com"]}
    )
    assert confirmed.status_code == 200

    changed = await one(app, "email.changed")
    assert by_user(changed, user.id)
    assert changed.details == {"from": user.email, "to": "ada.new@example.com"}


async def test_a_role_given_through_promotion_at_the_command_line_is_recorded(app, accounts):
    target = await accounts.create(role=Role.GUEST, login=False)
    services = app.state.services
    await promote_to_admin(database=services.database, passwords=services.passwords, email=target.email)

    role = await one(app, "user.role_changed")
    assert role.actor_kind == "system"
    assert role.details == {"from": "guest", "to": "admin"}
