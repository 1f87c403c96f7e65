"""GET and DELETE /admin/users/{id}/sessions: an admin sees and ends a user's login sessions."""

from __future__ import annotations

import uuid

from tests.sessions.support import assert_access_refused, assert_access_works, assert_invalid_grant, login, refresh


async def test_an_admin_lists_a_users_sessions_in_the_shape_of_their_own(client, admin, user):
    other = await login(client, user.email, user.password, **{"User-Agent": "console-test/1"})

    listed = await client.get(f"/admin/users/{user.id}/sessions", headers=admin.headers)
    own = await client.get("/users/me/sessions", headers=user.headers)

    assert listed.status_code == 200
    body = listed.json()
    assert len(body) == 2
    assert (
        set(body[0])
        == set(own.json()[0])
        == {"id", "created_at", "last_refreshed_at", "user_agent", "ip_address", "current"}
    )
    assert {session["id"] for session in body} == {session["id"] for session in own.json()}
    assert not any(session["current"] for session in body)  # none is the admin's
    assert "console-test/1" in {session["user_agent"] for session in body}
    assert other["refresh_token"] not in listed.text


async def test_ended_sessions_are_not_listed(client, admin, user):
    await client.post("/auth/jwt/logout", headers=user.headers)

    body = (await client.get(f"/admin/users/{user.id}/sessions", headers=admin.headers)).json()

    assert body == []


async def test_an_admins_own_sessions_mark_the_current_one(client, admin):
    await login(client, admin.email, admin.password)

    body = (await client.get(f"/admin/users/{admin.id}/sessions", headers=admin.headers)).json()

    assert [session["current"] for session in body].count(True) == 1


async def test_deleting_a_users_sessions_ends_every_one(client, admin, user):
    other = await login(client, user.email, user.password)

    response = await client.delete(f"/admin/users/{user.id}/sessions", headers=admin.headers)

    assert response.status_code == 204
    await assert_access_refused(client, user.token)
    await assert_access_refused(client, other["access_token"])
    assert_invalid_grant(await refresh(client, other["refresh_token"]))
    assert (await client.get(f"/admin/users/{user.id}/sessions", headers=admin.headers)).json() == []
    await assert_access_works(client, admin.token)  # someone else's sessions only


async def test_deleting_sessions_of_a_user_without_any_is_fine(client, admin, accounts):
    quiet = await accounts.create(login=False)

    response = await client.delete(f"/admin/users/{quiet.id}/sessions", headers=admin.headers)

    assert response.status_code == 204


async def test_an_unknown_user_is_404(client, admin):
    for method in ("GET", "DELETE"):
        response = await client.request(method, f"/admin/users/{uuid.uuid4()}/sessions", headers=admin.headers)
        assert response.status_code == 404
        assert response.json()["detail"] == "USER_NOT_FOUND"


async def test_a_malformed_id_is_a_validation_error(client, admin):
    response = await client.get("/admin/users/not-a-uuid/sessions", headers=admin.headers)

    assert response.status_code == 422
