"""POST /api-keys: who may create keys, what comes back, and what is refused."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from app.core.api_key_format import PREFIX, is_well_formed

CREATED_FIELDS = {"id", "name", "prefix", "role", "created_at", "expires_at", "key"}


async def test_user_creates_a_key_and_sees_the_secret_once(client, user):
    response = await client.post("/api-keys", json={"name": "nightly backup"}, headers=user.headers)
    assert response.status_code == 201
    body = response.json()
    assert set(body) == CREATED_FIELDS
    assert body["name"] == "nightly backup"
    assert body["key"].startswith(PREFIX)
    assert is_well_formed(body["key"])
    assert body["key"].startswith(body["prefix"])
    assert body["prefix"] != body["key"]
    assert body["expires_at"] is None
    assert response.headers["cache-control"] == "no-store"


async def test_role_defaults_to_the_role_the_creator_acts_with(client, user, admin):
    for account, role in ((user, "user"), (admin, "admin")):
        response = await client.post("/api-keys", json={"name": "k"}, headers=account.headers)
        assert response.status_code == 201
        assert response.json()["role"] == role


async def test_admin_may_create_a_key(client, admin):
    response = await client.post("/api-keys", json={"name": "ops", "role": "admin"}, headers=admin.headers)
    assert response.status_code == 201
    assert response.json()["role"] == "admin"


async def test_guest_may_not_create_a_key(client, guest):
    response = await client.post("/api-keys", json={"name": "k"}, headers=guest.headers)
    assert response.status_code == 403
    assert response.json()["detail"] == "FORBIDDEN"


async def test_creating_a_key_needs_credentials(client):
    response = await client.post("/api-keys", json={"name": "k"})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


async def test_name_is_stripped(client, user):
    response = await client.post("/api-keys", json={"name": "  deploy  "}, headers=user.headers)
    assert response.status_code == 201
    assert response.json()["name"] == "deploy"


@pytest.mark.parametrize("name", ["", "   ", "x" * 101])
async def test_name_must_be_1_to_100_characters(client, user, name):
    response = await client.post("/api-keys", json={"name": name}, headers=user.headers)
    assert response.status_code == 422


async def test_name_of_100_characters_is_accepted(client, user):
    response = await client.post("/api-keys", json={"name": "x" * 100}, headers=user.headers)
    assert response.status_code == 201


async def test_name_is_required(client, user):
    response = await client.post("/api-keys", json={}, headers=user.headers)
    assert response.status_code == 422


async def test_unknown_fields_are_refused(client, user):
    response = await client.post(
        "/api-keys", json={"name": "k", "expires": "2099-01-01T00:00:00Z"}, headers=user.headers
    )
    assert response.status_code == 422


async def test_expiry_in_the_future_is_kept_in_utc(client, user):
    expires = (datetime.now(UTC) + timedelta(days=30)).replace(microsecond=0)
    for sent in (expires.isoformat(), expires.isoformat().replace("+00:00", "Z")):
        response = await client.post("/api-keys", json={"name": "k", "expires_at": sent}, headers=user.headers)
        assert response.status_code == 201, sent
        assert datetime.fromisoformat(response.json()["expires_at"]) == expires


async def test_expiry_with_another_offset_means_the_same_instant(client, user):
    response = await client.post(
        "/api-keys", json={"name": "k", "expires_at": "2099-06-01T12:00:00+02:00"}, headers=user.headers
    )
    assert response.status_code == 201
    assert datetime.fromisoformat(response.json()["expires_at"]) == datetime(2099, 6, 1, 10, 0, tzinfo=UTC)


async def test_expiry_in_the_past_is_refused(client, user):
    past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    response = await client.post("/api-keys", json={"name": "k", "expires_at": past}, headers=user.headers)
    assert response.status_code == 422
    assert "future" in response.text


async def test_expiry_without_a_time_zone_is_refused(client, user):
    response = await client.post(
        "/api-keys", json={"name": "k", "expires_at": "2099-01-01T00:00:00"}, headers=user.headers
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["type"] == "timezone_aware"


async def test_expiry_that_is_not_a_date_is_refused(client, user):
    response = await client.post("/api-keys", json={"name": "k", "expires_at": "next week"}, headers=user.headers)
    assert response.status_code == 422


async def test_user_may_cap_a_key_below_their_role(client, user):
    response = await client.post("/api-keys", json={"name": "reader", "role": "guest"}, headers=user.headers)
    assert response.status_code == 201
    assert response.json()["role"] == "guest"


async def test_user_may_not_create_a_key_above_their_role(client, user):
    response = await client.post("/api-keys", json={"name": "k", "role": "admin"}, headers=user.headers)
    assert response.status_code == 403
    assert response.json()["detail"] == "API_KEY_ROLE_NOT_ALLOWED"


async def test_unknown_role_is_refused(client, user):
    response = await client.post("/api-keys", json={"name": "k", "role": "root"}, headers=user.headers)
    assert response.status_code == 422


async def test_key_capped_at_user_cannot_create_an_admin_key(client, admin, keys):
    capped = await keys.create(admin, role="user")
    response = await client.post("/api-keys", json={"name": "k", "role": "admin"}, headers=capped.headers)
    assert response.status_code == 403
    assert response.json()["detail"] == "API_KEY_ROLE_NOT_ALLOWED"


async def test_key_created_by_a_capped_key_defaults_to_the_cap(client, admin, keys):
    capped = await keys.create(admin, role="user")
    response = await client.post("/api-keys", json={"name": "child"}, headers=capped.headers)
    assert response.status_code == 201
    assert response.json()["role"] == "user"


async def test_key_capped_at_guest_cannot_create_keys(client, user, keys):
    capped = await keys.create(user, role="guest")
    response = await client.post("/api-keys", json={"name": "k"}, headers=capped.headers)
    assert response.status_code == 403


@pytest.mark.parametrize("settings_overrides", [{"api_key_max_active_per_user": 2}])
async def test_active_keys_per_account_are_limited(client, user, keys):
    await keys.create(user)
    await keys.create(user)
    response = await client.post("/api-keys", json={"name": "third"}, headers=user.headers)
    assert response.status_code == 409
    assert response.json()["detail"] == "API_KEY_LIMIT_REACHED"
    listed = await client.get("/api-keys", headers=user.headers)
    assert len(listed.json()) == 2


@pytest.mark.parametrize("settings_overrides", [{"api_key_max_active_per_user": 2}])
async def test_revoked_and_expired_keys_do_not_count_against_the_limit(client, user, keys):
    revoked = await keys.create(user)
    expired = await keys.create(user)
    assert (await client.delete(f"/api-keys/{revoked.id}", headers=user.headers)).status_code == 204
    await keys.set_columns(expired.id, expires_at=datetime.now(UTC) - timedelta(seconds=1))
    await keys.create(user)
    await keys.create(user)


@pytest.mark.parametrize("settings_overrides", [{"api_key_max_active_per_user": 1}])
async def test_the_limit_is_per_account(client, user, accounts, keys):
    other = await accounts.create()
    await keys.create(user)
    await keys.create(other)


@pytest.mark.parametrize("settings_overrides", [{"api_key_max_active_per_user": 3}])
async def test_concurrent_creations_cannot_pass_the_limit_together(client, user):
    responses = await asyncio.gather(
        *(client.post("/api-keys", json={"name": f"k{i}"}, headers=user.headers) for i in range(10))
    )
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [201] * 3 + [409] * 7
    assert len((await client.get("/api-keys", headers=user.headers)).json()) == 3
