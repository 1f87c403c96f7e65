"""A request holds at most one database connection at a time.

A request that keeps its connection while it waits for a second one (a cache miss read on a
connection of its own, say) deadlocks the pool under a burst: every request holds one and waits,
and all of them answer 503 when the pool's timeout runs out. With a pool of exactly one connection
such a request cannot finish at all, so each flow here runs on one, with the auth cache emptied
before every step so that every lookup reads the database.
"""

from __future__ import annotations

import pytest

from tests.console.test_session_routes import CONSOLE, sign_in
from tests.sessions.support import bearer, login, refresh

ONE_CONNECTION = {
    "database_pool_size": 1,
    "database_max_overflow": 0,
    # Far above what one request takes here, far below what a test may take.
    "database_pool_timeout_seconds": 5,
    "refresh_token_reuse_grace_seconds": 0,  # a spent token presented again is a reuse at once
}

pytestmark = pytest.mark.parametrize("settings_overrides", [ONE_CONNECTION])


async def _cold(app) -> None:
    await app.state.services.auth.forget_everything()


async def test_login_refresh_and_the_account_on_one_connection(app, client, user):
    await _cold(app)
    tokens = await login(client, user.email, user.password)
    await _cold(app)
    assert (await client.get("/users/me", headers=bearer(tokens["access_token"]))).status_code == 200

    await _cold(app)
    rotated = await refresh(client, tokens["refresh_token"])
    assert rotated.status_code == 200, rotated.text

    await _cold(app)
    grant = await client.post(
        "/auth/token", data={"grant_type": "refresh_token", "refresh_token": rotated.json()["refresh_token"]}
    )
    assert grant.status_code == 200, grant.text

    await _cold(app)
    reused = await refresh(client, tokens["refresh_token"])  # spent twice over: the session ends
    assert reused.status_code == 400, reused.text
    await _cold(app)
    assert (await client.get("/users/me", headers=bearer(grant.json()["access_token"]))).status_code == 401


async def test_the_consoles_cookie_refresh_on_one_connection(app, client, user):
    await _cold(app)
    assert (await sign_in(client, user)).status_code == 200
    await _cold(app)
    refreshed = await client.post("/console/session/refresh", headers=CONSOLE)
    assert refreshed.status_code == 200, refreshed.text
