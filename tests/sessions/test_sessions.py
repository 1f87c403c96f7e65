"""GET /users/me/sessions and DELETE /users/me/sessions/{id}: the caller's own sessions."""

from __future__ import annotations

import uuid

import pytest

from tests.sessions.support import (
    ago,
    assert_access_refused,
    assert_access_works,
    assert_invalid_grant,
    bearer,
    login,
    refresh,
    refreshed,
    sessions_of,
    set_session,
)
from tests.support import session_id_of


async def list_sessions(client, access_token: str) -> list[dict]:
    response = await client.get("/users/me/sessions", headers=bearer(access_token))
    assert response.status_code == 200, response.text
    body: list[dict] = response.json()
    return body


async def test_list_shows_each_active_session_with_its_client(client, user):
    phone = await login(client, user.email, user.password, **{"User-Agent": "PhoneApp/2.1"})

    sessions = await list_sessions(client, user.token)

    assert len(sessions) == 2
    assert {session["id"] for session in sessions} == {session_id_of(user.token), session_id_of(phone["access_token"])}
    [entry] = [session for session in sessions if session["id"] == session_id_of(phone["access_token"])]
    assert set(entry) == {"id", "created_at", "last_refreshed_at", "user_agent", "ip_address", "current"}
    assert entry["user_agent"] == "PhoneApp/2.1"
    assert entry["ip_address"] == "203.0.113.10"
    assert entry["last_refreshed_at"] is None
    assert entry["created_at"]


@pytest.mark.parametrize("settings_overrides", [{"trusted_proxies": "203.0.113.0/24"}])
async def test_behind_a_trusted_proxy_a_session_records_the_clients_address(client, user):
    # The test client's address (203.0.113.10) is the proxy's; the proxy appends the client's.
    forwarded = {"X-Forwarded-For": "192.0.2.1, 198.51.100.23"}
    tokens = await login(client, user.email, user.password, **forwarded)

    [entry] = [s for s in await list_sessions(client, user.token) if s["id"] == session_id_of(tokens["access_token"])]
    assert entry["ip_address"] == "198.51.100.23"  # the entry the trusted proxy wrote, not one the client sent

    refreshed = await refresh(client, tokens["refresh_token"], **{"X-Forwarded-For": "198.51.100.99"})
    assert refreshed.status_code == 200, refreshed.text
    [entry] = [s for s in await list_sessions(client, user.token) if s["id"] == session_id_of(tokens["access_token"])]
    assert entry["ip_address"] == "198.51.100.99"


async def test_without_trusted_proxies_a_forwarded_address_is_not_believed(client, user):
    tokens = await login(client, user.email, user.password, **{"X-Forwarded-For": "198.51.100.23"})

    [entry] = [s for s in await list_sessions(client, user.token) if s["id"] == session_id_of(tokens["access_token"])]
    assert entry["ip_address"] == "203.0.113.10"


async def test_list_marks_the_callers_own_session_as_current(client, user):
    other = await login(client, user.email, user.password)

    sessions = await list_sessions(client, other["access_token"])

    current = {session["id"]: session["current"] for session in sessions}
    assert current == {session_id_of(other["access_token"]): True, session_id_of(user.token): False}


async def test_list_shows_when_a_session_was_last_refreshed(client, user):
    tokens = await login(client, user.email, user.password)
    later = await refreshed(client, tokens["refresh_token"])

    sessions = await list_sessions(client, later["access_token"])

    [entry] = [session for session in sessions if session["current"]]
    assert entry["last_refreshed_at"] is not None
    assert entry["last_refreshed_at"] >= entry["created_at"]


async def test_list_leaves_out_ended_and_expired_sessions(client, app, user):
    ended = await login(client, user.email, user.password)
    expired = await login(client, user.email, user.password)
    await client.post("/auth/jwt/logout", headers=bearer(ended["access_token"]))
    await set_session(app, uuid.UUID(session_id_of(expired["access_token"])), expires_at=ago(seconds=1))

    sessions = await list_sessions(client, user.token)

    assert [session["id"] for session in sessions] == [session_id_of(user.token)]


async def test_list_shows_only_the_callers_sessions(client, user, accounts):
    someone_else = await accounts.create()

    sessions = await list_sessions(client, user.token)

    assert session_id_of(someone_else.token) not in {session["id"] for session in sessions}


async def test_ending_another_of_ones_sessions_stops_its_tokens(client, user):
    laptop = await login(client, user.email, user.password)

    response = await client.delete(f"/users/me/sessions/{session_id_of(laptop['access_token'])}", headers=user.headers)

    assert response.status_code == 204
    await assert_access_refused(client, laptop["access_token"])
    assert_invalid_grant(await refresh(client, laptop["refresh_token"]))
    await assert_access_works(client, user.token)
    assert [session["id"] for session in await list_sessions(client, user.token)] == [session_id_of(user.token)]


async def test_ending_ones_current_session_logs_out(client, user):
    response = await client.delete(f"/users/me/sessions/{session_id_of(user.token)}", headers=user.headers)

    assert response.status_code == 204
    await assert_access_refused(client, user.token)


async def test_ending_someone_elses_session_is_404_and_leaves_it_running(client, user, accounts):
    victim = await accounts.create()

    response = await client.delete(f"/users/me/sessions/{session_id_of(victim.token)}", headers=user.headers)

    assert response.status_code == 404
    assert response.json()["detail"] == "SESSION_NOT_FOUND"
    await assert_access_works(client, victim.token)


async def test_ending_an_unknown_session_is_404(client, user):
    response = await client.delete(f"/users/me/sessions/{uuid.uuid4()}", headers=user.headers)

    assert response.status_code == 404


async def test_ending_an_already_ended_session_is_404(client, user):
    laptop = await login(client, user.email, user.password)
    path = f"/users/me/sessions/{session_id_of(laptop['access_token'])}"
    await client.delete(path, headers=user.headers)

    response = await client.delete(path, headers=user.headers)

    assert response.status_code == 404


async def test_a_session_id_that_is_not_a_uuid_is_422(client, user):
    response = await client.delete("/users/me/sessions/not-a-uuid", headers=user.headers)

    assert response.status_code == 422


async def test_a_very_long_user_agent_is_stored_truncated(client, app, user):
    await login(client, user.email, user.password, **{"User-Agent": "x" * 2000})

    agents = {session.user_agent for session in await sessions_of(app, user.id)}

    assert "x" * 512 in agents
