"""Admins see an account's lockout in the admin user view and can lift it."""

import uuid
from datetime import datetime

from app.db.base import utcnow
from tests.factories import log_in

MAX_FAILURES = 10


async def lock(client, email):
    for _ in range(MAX_FAILURES):
        await log_in(client, email)


async def test_the_admin_view_shows_failed_logins(client, admin, accounts):
    account = await accounts.create(login=False)
    for _ in range(3):
        await log_in(client, account.email)
    body = (await client.get(f"/admin/users/{account.id}", headers=admin.headers)).json()
    assert body["failed_login_count"] == 3
    assert body["locked_until"] is None


async def test_the_admin_view_shows_the_lock(client, admin, accounts):
    account = await accounts.create(login=False)
    await lock(client, account.email)
    body = (await client.get(f"/admin/users/{account.id}", headers=admin.headers)).json()
    assert body["failed_login_count"] == MAX_FAILURES
    assert datetime.fromisoformat(body["locked_until"]) > utcnow()


async def test_the_user_list_shows_each_users_lock_state(client, admin, accounts):
    locked = await accounts.create(login=False)
    calm = await accounts.create(login=False)
    await lock(client, locked.email)
    page = (await client.get("/admin/users", headers=admin.headers)).json()
    by_id = {item["id"]: item for item in page["items"]}
    assert by_id[str(locked.id)]["locked_until"] is not None
    assert by_id[str(calm.id)]["failed_login_count"] == 0
    assert by_id[str(calm.id)]["locked_until"] is None


async def test_an_admin_unlock_lifts_the_lock(client, admin, accounts):
    account = await accounts.create(login=False)
    await lock(client, account.email)
    response = await client.post(f"/admin/users/{account.id}/unlock", headers=admin.headers)
    assert response.status_code == 200
    assert response.json()["failed_login_count"] == 0
    assert response.json()["locked_until"] is None
    assert (await log_in(client, account.email, account.password)).status_code == 200


async def test_unlocking_an_account_that_is_not_locked_changes_nothing(client, admin, user):
    response = await client.post(f"/admin/users/{user.id}/unlock", headers=admin.headers)
    assert response.status_code == 200
    assert response.json()["failed_login_count"] == 0


async def test_unlock_needs_credentials(client, accounts):
    account = await accounts.create(login=False)
    response = await client.post(f"/admin/users/{account.id}/unlock")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"


async def test_only_admins_may_unlock(client, user, guest, accounts):
    account = await accounts.create(login=False)
    await lock(client, account.email)
    for caller in (user, guest):
        response = await client.post(f"/admin/users/{account.id}/unlock", headers=caller.headers)
        assert response.status_code == 403
    assert "Retry-After" in (await log_in(client, account.email, account.password)).headers


async def test_unlocking_an_unknown_user_is_404(client, admin):
    response = await client.post(f"/admin/users/{uuid.uuid4()}/unlock", headers=admin.headers)
    assert response.status_code == 404
