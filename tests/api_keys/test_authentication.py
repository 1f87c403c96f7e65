"""Authenticating with `X-API-Key`: as the owner, with the lesser of the owner's role and the
key's cap, refused with a clear 401 when the key is not good, and never together with a token."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from app.api_keys.loaders import api_key_use_recorder
from app.core.api_key_format import PREFIX, _checksum
from app.core.roles import Role
from app.http.caller import CurrentCaller
from tests.factories import recorded_statements


@pytest.fixture
def probe(app):
    """A route that shows who the request was authenticated as."""

    @app.get("/_probe/caller")
    async def caller_probe(caller: CurrentCaller) -> dict[str, Any]:
        return {
            "user_id": str(caller.id),
            "role": caller.role.value,
            "credential": caller.credential.value,
            "api_key_id": str(caller.api_key_id) if caller.api_key_id else None,
        }

    return "/_probe/caller"


def _with_checksum(random_part: str) -> str:
    return f"{PREFIX}{random_part}{_checksum(random_part)}"


async def test_key_authenticates_as_its_owner(client, user, keys, probe):
    issued = await keys.create(user)
    response = await client.get(probe, headers=issued.headers)
    assert response.status_code == 200
    assert response.json() == {
        "user_id": str(user.id),
        "role": "user",
        "credential": "api_key",
        "api_key_id": str(issued.id),
    }


async def test_key_works_on_existing_routes(client, user, keys):
    issued = await keys.create(user)
    me = await client.get("/users/me", headers=issued.headers)
    assert me.status_code == 200
    assert me.json()["email"] == user.email
    created = await client.post("/items", json={"title": "from a script"}, headers=issued.headers)
    assert created.status_code == 201
    assert created.json()["owner_id"] == str(user.id)


async def test_token_caller_still_reports_an_access_token(client, user, probe):
    response = await client.get(probe, headers=user.headers)
    assert response.json()["credential"] == "access_token"
    assert response.json()["api_key_id"] is None


# --- the role cap ---------------------------------------------------------------------------


async def test_admin_key_capped_at_user_acts_as_user(client, admin, keys, probe):
    capped = await keys.create(admin, role="user")
    assert (await client.get(probe, headers=capped.headers)).json()["role"] == "user"
    assert (await client.get("/admin/users", headers=capped.headers)).status_code == 403
    assert (await client.post("/items", json={"title": "t"}, headers=capped.headers)).status_code == 201


async def test_admin_key_capped_at_admin_acts_as_admin(client, admin, keys):
    full = await keys.create(admin, role="admin")
    assert (await client.get("/admin/users", headers=full.headers)).status_code == 200


async def test_key_capped_at_guest_can_read_but_not_write(client, user, keys):
    reader = await keys.create(user, role="guest")
    assert (await client.get("/items", headers=reader.headers)).status_code == 200
    response = await client.post("/items", json={"title": "t"}, headers=reader.headers)
    assert response.status_code == 403


async def test_demoted_owner_lowers_what_the_key_may_do(client, user, keys, owners, probe):
    issued = await keys.create(user)
    await owners.update(user, role=Role.GUEST)
    assert (await client.get(probe, headers=issued.headers)).json()["role"] == "guest"
    assert (await client.post("/items", json={"title": "t"}, headers=issued.headers)).status_code == 403
    assert (await client.get("/items", headers=issued.headers)).status_code == 200


async def test_demoted_admin_loses_admin_routes_even_with_an_admin_key(client, admin, keys, owners):
    issued = await keys.create(admin, role="admin")
    await owners.update(admin, role=Role.USER, is_superuser=False)
    assert (await client.get("/admin/users", headers=issued.headers)).status_code == 403


async def test_promoted_owner_does_not_lift_the_cap(client, user, keys, owners):
    issued = await keys.create(user)
    await owners.update(user, role=Role.ADMIN, is_superuser=True)
    assert (await client.get("/admin/users", headers=issued.headers)).status_code == 403


async def test_key_cannot_change_the_owners_password(client, user, keys, accounts):
    issued = await keys.create(user, role="guest")
    change = {"password": "a-brand-new-password", "current_password": user.password}
    response = await client.patch("/users/me", json=change, headers=issued.headers)
    assert response.status_code == 403
    assert response.json()["detail"] == "API_KEY_NOT_ALLOWED"
    await accounts.login(user.email, user.password)  # the old password still works


@pytest.mark.parametrize("change", [{"password": "a-brand-new-password"}, {"email": "taken-over@example.com"}])
async def test_an_admin_key_cannot_change_its_owners_login_through_the_admin_routes(
    client, admin, keys, accounts, change
):
    issued = await keys.create(admin, role="admin")
    response = await client.patch(f"/admin/users/{admin.id}", json=change, headers=issued.headers)
    assert response.status_code == 403
    assert response.json()["detail"] == "API_KEY_NOT_ALLOWED"
    await accounts.login(admin.email, admin.password)  # the email and password are unchanged


async def test_an_admin_key_may_still_set_another_users_password(client, admin, user, keys, accounts):
    issued = await keys.create(admin, role="admin")
    response = await client.patch(
        f"/admin/users/{user.id}", json={"password": "set-by-the-admin-key"}, headers=issued.headers
    )
    assert response.status_code == 200
    await accounts.login(user.email, "set-by-the-admin-key")


# --- refused keys ---------------------------------------------------------------------------


def _assert_refused(response, code: str) -> None:
    assert response.status_code == 401, response.text
    assert response.json()["detail"] == code
    assert response.headers["www-authenticate"] == "Bearer"


async def test_key_with_a_broken_checksum_is_refused_without_a_database_query(app, client, user, keys):
    issued = await keys.create(user)
    checksum = issued.key[-6:]
    broken = issued.key[:-6] + ("0" if checksum[0] != "0" else "1") + checksum[1:]
    with recorded_statements(app) as statements:
        response = await client.get("/users/me", headers={"X-API-Key": broken})
    _assert_refused(response, "API_KEY_MALFORMED")
    assert statements == []


@pytest.mark.parametrize(
    "value",
    [b"not-a-key", b"gatehouse_", b"ghp_" + b"a" * 49, b"gatehouse_" + b"a" * 48, ("gatehouse_" + "é" * 49).encode()],
)
async def test_key_of_the_wrong_shape_is_refused_without_a_database_query(app, client, value):
    with recorded_statements(app) as statements:
        response = await client.get("/users/me", headers={"X-API-Key": value})
    _assert_refused(response, "API_KEY_MALFORMED")
    assert statements == []


async def test_tampered_key_with_a_valid_checksum_is_unknown(client, user, keys):
    issued = await keys.create(user)
    random_part = issued.key[len(PREFIX) : -6]
    tampered = _with_checksum(random_part[:-1] + ("a" if random_part[-1] != "a" else "b"))
    _assert_refused(await client.get("/users/me", headers={"X-API-Key": tampered}), "API_KEY_UNKNOWN")
    # The real key is unaffected.
    assert (await client.get("/users/me", headers=issued.headers)).status_code == 200


async def test_revoked_key_is_refused_at_once(client, user, keys):
    issued = await keys.create(user)
    assert (await client.get("/users/me", headers=issued.headers)).status_code == 200
    assert (await client.delete(f"/api-keys/{issued.id}", headers=user.headers)).status_code == 204
    _assert_refused(await client.get("/users/me", headers=issued.headers), "API_KEY_REVOKED")


async def test_expired_key_is_refused(client, user, keys):
    issued = await keys.create(user, expires_at=(datetime.now(UTC) + timedelta(days=1)).isoformat())
    assert (await client.get("/users/me", headers=issued.headers)).status_code == 200
    await keys.set_columns(issued.id, expires_at=datetime.now(UTC) - timedelta(seconds=1))
    _assert_refused(await client.get("/users/me", headers=issued.headers), "API_KEY_EXPIRED")


async def test_key_of_a_deactivated_owner_is_refused(client, user, keys, owners):
    issued = await keys.create(user)
    await owners.update(user, is_active=False)
    _assert_refused(await client.get("/users/me", headers=issued.headers), "API_KEY_OWNER_INACTIVE")


async def test_reactivated_owner_gets_their_keys_back(client, user, keys, owners):
    issued = await keys.create(user)
    await owners.update(user, is_active=False)
    await owners.update(user, is_active=True)
    assert (await client.get("/users/me", headers=issued.headers)).status_code == 200


async def test_keys_of_a_deleted_owner_are_gone(client, user, keys, owners):
    issued = await keys.create(user)
    await owners.delete(user)
    _assert_refused(await client.get("/users/me", headers=issued.headers), "API_KEY_UNKNOWN")


async def test_key_hashed_under_another_server_secret_is_unknown(app, client, user, keys):
    issued = await keys.create(user)
    other = await keys.row(issued.id)
    await keys.set_columns(issued.id, key_hash="0" * 64)
    _assert_refused(await client.get("/users/me", headers=issued.headers), "API_KEY_UNKNOWN")
    await keys.set_columns(issued.id, key_hash=other.key_hash)
    assert (await client.get("/users/me", headers=issued.headers)).status_code == 200


async def test_empty_key_header_counts_as_no_credentials(client):
    response = await client.get("/users/me", headers={"X-API-Key": ""})
    _assert_refused(response, "NOT_AUTHENTICATED")


# (A bearer token together with a key: tests/http/test_both_credentials.py.)


# --- last_used_at ---------------------------------------------------------------------------


def _key_updates(statements: list[str]) -> list[str]:
    return [s for s in statements if s.lstrip().upper().startswith("UPDATE API_KEYS")]


async def test_first_use_records_last_used_at(client, user, keys):
    issued = await keys.create(user)
    assert (await keys.row(issued.id)).last_used_at is None
    before = datetime.now(UTC)
    await client.get("/users/me", headers=issued.headers)
    last_used = (await keys.row(issued.id)).last_used_at
    assert last_used is not None and last_used >= before - timedelta(seconds=1)


async def test_uses_within_a_minute_write_nothing(app, client, user, keys):
    issued = await keys.create(user)
    await client.get("/users/me", headers=issued.headers)
    first = (await keys.row(issued.id)).last_used_at
    with recorded_statements(app) as statements:
        for _ in range(3):
            assert (await client.get("/users/me", headers=issued.headers)).status_code == 200
    assert _key_updates(statements) == []
    assert (await keys.row(issued.id)).last_used_at == first


async def test_use_after_a_minute_records_again(client, user, keys):
    issued = await keys.create(user)
    old = datetime.now(UTC) - timedelta(minutes=2)
    await keys.set_columns(issued.id, last_used_at=old)
    await client.get("/users/me", headers=issued.headers)
    assert (await keys.row(issued.id)).last_used_at > old


async def test_conditional_update_leaves_a_fresher_value_alone(app, client, user, keys):
    """Another worker recorded a use a moment ago: this worker's stale copy must not overwrite it."""
    issued = await keys.create(user)
    record_use = api_key_use_recorder(app.state.services.database)
    stale = await keys.row(issued.id)
    stale.last_used_at = datetime.now(UTC) - timedelta(minutes=5)
    fresh = datetime.now(UTC) - timedelta(seconds=5)
    await keys.set_columns(issued.id, last_used_at=fresh)
    await record_use(stale, datetime.now(UTC))
    assert (await keys.row(issued.id)).last_used_at == fresh


async def test_listing_with_the_key_shows_its_own_use(client, user, keys):
    issued = await keys.create(user)
    listed = (await client.get("/api-keys", headers=issued.headers)).json()
    assert listed[0]["id"] == str(issued.id)
    assert listed[0]["last_used_at"] is not None


# --- documentation --------------------------------------------------------------------------


async def test_openapi_documents_the_key_header_next_to_the_bearer_token(client):
    schema = (await client.get("/openapi.json")).json()
    scheme = schema["components"]["securitySchemes"]["APIKeyHeader"]
    assert scheme == {**scheme, "type": "apiKey", "in": "header", "name": "X-API-Key"}
    security = schema["paths"]["/users/me"]["get"]["security"]
    assert {"APIKeyHeader": []} in security
    assert {"OAuth2PasswordBearer": []} in security
    assert {"APIKeyHeader": []} in schema["paths"]["/api-keys"]["post"]["security"]
    assert {"APIKeyHeader": []} in schema["paths"]["/admin/users"]["get"]["security"]
    assert "security" not in schema["paths"]["/auth/jwt/login"]["post"]
    # fastapi-users' logout reads only the bearer token
    assert schema["paths"]["/auth/jwt/logout"]["post"]["security"] == [{"OAuth2PasswordBearer": []}]
