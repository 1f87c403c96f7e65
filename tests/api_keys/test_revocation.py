"""DELETE /api-keys/{id}: the owner revokes a key; it stops working at once and stays listed."""

from __future__ import annotations

import uuid

from app.core.roles import Role


async def test_owner_revokes_a_key(client, user, keys):
    issued = await keys.create(user)
    response = await client.delete(f"/api-keys/{issued.id}", headers=user.headers)
    assert response.status_code == 204
    assert response.content == b""
    refused = await client.get("/users/me", headers=issued.headers)
    assert refused.status_code == 401
    assert refused.json()["detail"] == "API_KEY_REVOKED"


async def test_revoked_key_stays_listed_with_revoked_at(client, user, keys):
    issued = await keys.create(user)
    await client.delete(f"/api-keys/{issued.id}", headers=user.headers)
    listed = (await client.get("/api-keys", headers=user.headers)).json()
    assert [entry["id"] for entry in listed] == [str(issued.id)]
    assert listed[0]["revoked_at"] is not None


async def test_revoking_leaves_the_owners_other_keys_working(client, user, keys):
    revoked = await keys.create(user, name="old")
    kept = await keys.create(user, name="new")
    await client.delete(f"/api-keys/{revoked.id}", headers=user.headers)
    assert (await client.get("/users/me", headers=kept.headers)).status_code == 200


async def test_revoking_twice_keeps_the_first_revocation_time(client, user, keys):
    issued = await keys.create(user)
    await client.delete(f"/api-keys/{issued.id}", headers=user.headers)
    first = (await keys.row(issued.id)).revoked_at
    again = await client.delete(f"/api-keys/{issued.id}", headers=user.headers)
    assert again.status_code == 204
    assert (await keys.row(issued.id)).revoked_at == first


async def test_another_users_key_is_not_found_and_keeps_working(client, user, accounts, keys):
    other = await accounts.create()
    theirs = await keys.create(other)
    response = await client.delete(f"/api-keys/{theirs.id}", headers=user.headers)
    assert response.status_code == 404
    assert response.json()["detail"] == "API_KEY_NOT_FOUND"
    assert (await client.get("/users/me", headers=theirs.headers)).status_code == 200


async def test_admin_cannot_revoke_someone_elses_key_through_the_own_keys_route(client, admin, user, keys):
    theirs = await keys.create(user)
    response = await client.delete(f"/api-keys/{theirs.id}", headers=admin.headers)
    assert response.status_code == 404


async def test_unknown_key_id_is_not_found(client, user):
    response = await client.delete(f"/api-keys/{uuid.uuid4()}", headers=user.headers)
    assert response.status_code == 404
    assert response.json()["detail"] == "API_KEY_NOT_FOUND"


async def test_malformed_key_id_is_refused(client, user):
    response = await client.delete("/api-keys/not-a-uuid", headers=user.headers)
    assert response.status_code == 422


async def test_revoking_needs_credentials(client, user, keys):
    issued = await keys.create(user)
    response = await client.delete(f"/api-keys/{issued.id}")
    assert response.status_code == 401
    assert (await client.get("/users/me", headers=issued.headers)).status_code == 200


async def test_owner_demoted_to_guest_may_still_revoke_their_keys(client, user, keys, owners):
    issued = await keys.create(user)
    await owners.update(user, role=Role.GUEST)
    response = await client.delete(f"/api-keys/{issued.id}", headers=user.headers)
    assert response.status_code == 204


async def test_guest_may_use_the_revoke_route(client, guest):
    # Guests cannot create keys, but the route is open to them for keys they kept from before.
    response = await client.delete(f"/api-keys/{uuid.uuid4()}", headers=guest.headers)
    assert response.status_code == 404


async def test_a_key_may_revoke_itself(client, user, keys):
    issued = await keys.create(user)
    response = await client.delete(f"/api-keys/{issued.id}", headers=issued.headers)
    assert response.status_code == 204
    assert (await client.get("/users/me", headers=issued.headers)).status_code == 401
