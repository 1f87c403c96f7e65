"""API key and admin session events."""

from __future__ import annotations

from tests.audit.support import by_user, events, one


async def test_creating_a_key_is_api_key_created_without_the_key(app, client, user, keys):
    issued = await keys.create(user, name="deploy")

    event = await one(app, "api_key.created")
    assert by_user(event, user.id) and event.target_user_id == user.id
    assert event.details["api_key_id"] == str(issued.id)
    assert event.details["name"] == "deploy"
    assert event.details["role"] == "user"
    assert issued.key not in str(event.details)
    assert issued.body["prefix"] not in str(event.details)


async def test_a_key_acting_is_the_actor_with_its_owner_in_details(app, client, user, keys):
    first = await keys.create(user, name="first")
    second = await keys.create(first.headers, name="minted by a key")

    event = (await events(app, "api_key.created"))[-1]
    assert event.actor_kind == "api_key" and event.actor_id == first.id
    assert event.details["api_key_owner_id"] == str(user.id)
    assert event.details["api_key_id"] == str(second.id)


async def test_revoking_a_key_once_is_api_key_revoked_once(app, client, user, admin, keys):
    issued = await keys.create(user)

    first = await client.delete(f"/api-keys/{issued.id}", headers=user.headers)
    again = await client.delete(f"/admin/api-keys/{issued.id}", headers=admin.headers)
    assert (first.status_code, again.status_code) == (204, 204)

    event = await one(app, "api_key.revoked")
    assert by_user(event, user.id) and event.target_user_id == user.id
    assert event.details["api_key_id"] == str(issued.id)


async def test_an_admin_ending_every_session_of_a_user(app, client, admin, user):
    response = await client.post(f"/admin/users/{user.id}/revoke-sessions", headers=admin.headers)
    assert response.status_code == 204

    event = await one(app, "sessions.revoked_by_admin")
    assert by_user(event, admin.id) and event.target_user_id == user.id
    assert event.details == {"sessions_ended": 1}
