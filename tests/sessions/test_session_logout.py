"""Logout ends the session: its access tokens and its refresh tokens, on every worker."""

from __future__ import annotations

from tests.sessions.support import (
    assert_access_refused,
    assert_access_works,
    assert_invalid_grant,
    bearer,
    eventually_refused,
    login,
    refresh,
    refreshed,
    sessions_of,
)
from tests.support import session_id_of


async def test_access_token_is_refused_after_logout(client, user):
    tokens = await login(client, user.email, user.password)

    response = await client.post("/auth/jwt/logout", headers=bearer(tokens["access_token"]))

    assert response.status_code == 204
    await assert_access_refused(client, tokens["access_token"])


async def test_refresh_token_is_refused_after_logout(client, user):
    tokens = await login(client, user.email, user.password)

    await client.post("/auth/jwt/logout", headers=bearer(tokens["access_token"]))

    assert_invalid_grant(await refresh(client, tokens["refresh_token"]))


async def test_logout_ends_access_tokens_issued_by_earlier_refreshes_too(client, user):
    tokens = await login(client, user.email, user.password)
    later = await refreshed(client, tokens["refresh_token"])

    await client.post("/auth/jwt/logout", headers=bearer(later["access_token"]))

    await assert_access_refused(client, tokens["access_token"])
    assert_invalid_grant(await refresh(client, later["refresh_token"]))


async def test_logging_out_twice_with_one_token_is_refused_the_second_time(client, user):
    tokens = await login(client, user.email, user.password)
    await client.post("/auth/jwt/logout", headers=bearer(tokens["access_token"]))

    response = await client.post("/auth/jwt/logout", headers=bearer(tokens["access_token"]))

    assert response.status_code == 401


async def test_logout_ends_only_that_session(client, user):
    tokens = await login(client, user.email, user.password)

    await client.post("/auth/jwt/logout", headers=bearer(tokens["access_token"]))

    await assert_access_works(client, user.token)


async def test_logout_records_the_reason(client, app, user):
    await client.post("/auth/jwt/logout", headers=user.headers)

    [session] = await sessions_of(app, user.id)
    assert str(session.id) == session_id_of(user.token)
    assert session.revoked_reason == "logout"


async def test_logout_on_one_worker_stops_the_token_on_another_within_a_poll(client, user, other_worker):
    async with other_worker() as second_worker:
        await assert_access_works(second_worker, user.token)

        await client.post("/auth/jwt/logout", headers=user.headers)

        await eventually_refused(second_worker, user.token)


# --- RFC 7009 revocation -------------------------------------------------------------------------


async def test_revoking_a_refresh_token_ends_its_session(client, user):
    tokens = await login(client, user.email, user.password)

    response = await client.post(
        "/auth/jwt/revoke", data={"token": tokens["refresh_token"], "token_type_hint": "refresh_token"}
    )

    assert response.status_code == 200
    assert_invalid_grant(await refresh(client, tokens["refresh_token"]))
    await assert_access_refused(client, tokens["access_token"])


async def test_revoking_a_spent_refresh_token_still_ends_its_session(client, user):
    tokens = await login(client, user.email, user.password)
    later = await refreshed(client, tokens["refresh_token"])

    await client.post("/auth/jwt/revoke", data={"token": tokens["refresh_token"]})

    await assert_access_refused(client, later["access_token"])


async def test_revoking_an_access_token_ends_its_session(client, user):
    tokens = await login(client, user.email, user.password)

    response = await client.post("/auth/jwt/revoke", data={"token": tokens["access_token"]})

    assert response.status_code == 200
    await assert_access_refused(client, tokens["access_token"])
    assert_invalid_grant(await refresh(client, tokens["refresh_token"]))


async def test_revoking_an_unknown_token_answers_200_and_ends_nothing(client, user):
    response = await client.post("/auth/jwt/revoke", data={"token": "gatehouse_rt_" + "C" * 43})
    garbage = await client.post("/auth/jwt/revoke", data={"token": "garbage"})

    assert response.status_code == 200
    assert garbage.status_code == 200
    await assert_access_works(client, user.token)


async def test_revoke_without_a_token_is_invalid_request(client):
    response = await client.post("/auth/jwt/revoke", data={})

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


async def test_sessions_are_deleted_with_their_user(client, app, admin, user):
    await login(client, user.email, user.password)

    response = await client.delete(f"/admin/users/{user.id}", headers=admin.headers)

    assert response.status_code == 204
    assert await sessions_of(app, user.id) == []
    assert await sessions_of(app, admin.id) != []
