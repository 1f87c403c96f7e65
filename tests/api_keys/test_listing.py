"""GET /api-keys: the caller's own keys, never a secret or a hash."""

from __future__ import annotations

LISTED_FIELDS = {"id", "name", "prefix", "role", "created_at", "expires_at", "last_used_at", "revoked_at"}


async def test_list_shows_own_keys_newest_first_without_secrets(client, user, keys):
    first = await keys.create(user, name="first")
    second = await keys.create(user, name="second")
    response = await client.get("/api-keys", headers=user.headers)
    assert response.status_code == 200
    listed = response.json()
    assert [entry["id"] for entry in listed] == [str(second.id), str(first.id)]
    for entry in listed:
        assert set(entry) == LISTED_FIELDS
    assert listed[1]["prefix"] == first.body["prefix"]
    assert listed[1]["revoked_at"] is None
    assert listed[1]["last_used_at"] is None


async def test_list_never_contains_the_key_or_its_hash(client, user, keys):
    issued = await keys.create(user)
    row = await keys.row(issued.id)
    text = (await client.get("/api-keys", headers=user.headers)).text
    assert issued.key not in text
    assert row.key_hash not in text
    assert issued.key[len(issued.body["prefix"]) :] not in text


async def test_list_leaves_out_other_users_keys(client, user, accounts, keys):
    other = await accounts.create()
    await keys.create(other, name="not yours")
    mine = await keys.create(user, name="mine")
    listed = (await client.get("/api-keys", headers=user.headers)).json()
    assert [entry["id"] for entry in listed] == [str(mine.id)]


async def test_list_is_empty_for_a_new_account(client, user):
    response = await client.get("/api-keys", headers=user.headers)
    assert response.status_code == 200
    assert response.json() == []


async def test_listing_needs_credentials(client):
    response = await client.get("/api-keys")
    assert response.status_code == 401


async def test_guest_may_list_their_keys(client, guest):
    response = await client.get("/api-keys", headers=guest.headers)
    assert response.status_code == 200
