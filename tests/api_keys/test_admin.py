"""/admin/api-keys: every account's keys, listed and revoked by admins only."""

from __future__ import annotations

import uuid

import pytest

from app.core.roles import Role

ADMIN_LISTED_FIELDS = {
    "id",
    "user_id",
    "name",
    "prefix",
    "role",
    "created_at",
    "expires_at",
    "last_used_at",
    "revoked_at",
}


async def test_admin_lists_every_accounts_keys_without_secrets(client, admin, user, keys):
    mine = await keys.create(admin)
    theirs = await keys.create(user)
    response = await client.get("/admin/api-keys", headers=admin.headers)
    assert response.status_code == 200
    page = response.json()
    assert page["total"] == 2
    assert page["limit"] == 50 and page["offset"] == 0
    assert {entry["id"] for entry in page["items"]} == {str(mine.id), str(theirs.id)}
    for entry in page["items"]:
        assert set(entry) == ADMIN_LISTED_FIELDS
    assert mine.key not in response.text and theirs.key not in response.text


async def test_admin_filters_by_user_id(client, admin, user, keys):
    await keys.create(admin)
    theirs = await keys.create(user)
    page = (await client.get("/admin/api-keys", params={"user_id": str(user.id)}, headers=admin.headers)).json()
    assert page["total"] == 1
    assert [entry["id"] for entry in page["items"]] == [str(theirs.id)]
    assert page["items"][0]["user_id"] == str(user.id)


async def test_filter_by_an_unknown_user_is_empty(client, admin):
    page = (await client.get("/admin/api-keys", params={"user_id": str(uuid.uuid4())}, headers=admin.headers)).json()
    assert page == {"items": [], "total": 0, "limit": 50, "offset": 0}


async def test_admin_list_paginates_newest_first(client, admin, keys):
    created = [await keys.create(admin, name=f"k{i}") for i in range(3)]
    first = (await client.get("/admin/api-keys", params={"limit": 2}, headers=admin.headers)).json()
    second = (await client.get("/admin/api-keys", params={"limit": 2, "offset": 2}, headers=admin.headers)).json()
    assert first["total"] == second["total"] == 3
    listed = [entry["id"] for entry in first["items"] + second["items"]]
    assert listed == [str(key.id) for key in reversed(created)]


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 201}, {"offset": -1}, {"user_id": "nope"}])
async def test_admin_list_refuses_bad_parameters(client, admin, params):
    response = await client.get("/admin/api-keys", params=params, headers=admin.headers)
    assert response.status_code == 422


async def test_admin_list_needs_credentials(client):
    assert (await client.get("/admin/api-keys")).status_code == 401


@pytest.mark.parametrize("role", ["user", "guest"])
async def test_admin_list_is_forbidden_to_others(client, accounts, role):
    account = await accounts.create(role=Role(role))
    response = await client.get("/admin/api-keys", headers=account.headers)
    assert response.status_code == 403


async def test_admin_list_is_forbidden_to_an_admin_key_capped_at_user(client, admin, keys):
    capped = await keys.create(admin, role="user")
    assert (await client.get("/admin/api-keys", headers=capped.headers)).status_code == 403


async def test_admin_revokes_any_key(client, admin, user, keys):
    theirs = await keys.create(user)
    response = await client.delete(f"/admin/api-keys/{theirs.id}", headers=admin.headers)
    assert response.status_code == 204
    refused = await client.get("/users/me", headers=theirs.headers)
    assert refused.status_code == 401
    assert refused.json()["detail"] == "API_KEY_REVOKED"
    listed = (await client.get("/api-keys", headers=user.headers)).json()
    assert listed[0]["revoked_at"] is not None


async def test_admin_revoking_an_unknown_key_is_not_found(client, admin):
    response = await client.delete(f"/admin/api-keys/{uuid.uuid4()}", headers=admin.headers)
    assert response.status_code == 404
    assert response.json()["detail"] == "API_KEY_NOT_FOUND"


async def test_admin_revoke_needs_credentials(client, user, keys):
    theirs = await keys.create(user)
    assert (await client.delete(f"/admin/api-keys/{theirs.id}")).status_code == 401


@pytest.mark.parametrize("role", ["user", "guest"])
async def test_admin_revoke_is_forbidden_to_others_even_for_their_own_key(client, accounts, keys, role):
    owner = await accounts.create()
    issued = await keys.create(owner)
    account = owner if role == "user" else await accounts.create(role=Role(role))
    response = await client.delete(f"/admin/api-keys/{issued.id}", headers=account.headers)
    assert response.status_code == 403
    assert (await client.get("/users/me", headers=issued.headers)).status_code == 200


async def test_admin_revoke_forbids_before_looking_up(client, user):
    # A non-admin gets 403 whether or not the id exists: no existence oracle.
    response = await client.delete(f"/admin/api-keys/{uuid.uuid4()}", headers=user.headers)
    assert response.status_code == 403


async def test_admin_with_an_admin_key_may_revoke(client, admin, user, keys):
    admin_key = await keys.create(admin, role="admin")
    theirs = await keys.create(user)
    response = await client.delete(f"/admin/api-keys/{theirs.id}", headers=admin_key.headers)
    assert response.status_code == 204
