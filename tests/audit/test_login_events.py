"""Login, second-factor and session events: who, from where, with which outcome."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from app.core.secrets import SecretPurpose
from app.db.base import utcnow
from app.lockout.service import LockoutService
from app.sessions.models import RefreshToken
from tests.audit.support import by_user, events, one
from tests.factories import log_in
from tests.mfa.support import enrol, install_clock, mfa_token, second_step


def lockout_key(app, email: str) -> str:
    services = app.state.services
    hasher = services.keys.hasher(SecretPurpose.LOGIN_LOCKOUT)
    return LockoutService(db=None, settings=services.settings, hasher=hasher).key_for(email)  # type: ignore[arg-type]


async def test_a_login_is_recorded_with_its_session_client_and_user_agent(app, client, accounts):
    account = await accounts.create(login=False)
    response = await client.post(
        "/auth/jwt/login",
        data={"username": account.email, "password": account.password},
        headers={"User-Agent": "x" * 600},
    )
    assert response.status_code == 200

    event = await one(app, "login.succeeded")

    assert by_user(event, account.id) and event.target_user_id == account.id
    assert event.ip_address == "203.0.113.10"
    assert event.user_agent == "x" * 512
    assert event.details["amr"] == ["pwd"]
    assert "session_id" in event.details
    assert response.json()["access_token"] not in str(event.details)
    assert response.json()["refresh_token"] not in str(event.details)


@pytest.mark.parametrize("settings_overrides", [{"trusted_proxies": ["203.0.113.10/32"]}])
async def test_the_address_is_the_client_behind_a_trusted_proxy(app, client, accounts):
    account = await accounts.create(login=False)
    await client.post(
        "/auth/jwt/login",
        data={"username": account.email, "password": account.password},
        headers={"X-Forwarded-For": "192.0.2.1, 2001:db8::7"},
    )

    assert (await one(app, "login.succeeded")).ip_address == "2001:db8::7"


async def test_a_forwarded_address_from_an_untrusted_peer_is_ignored(app, client, accounts):
    account = await accounts.create(login=False)
    await client.post(
        "/auth/jwt/login",
        data={"username": account.email, "password": account.password},
        headers={"X-Forwarded-For": "192.0.2.1"},
    )

    assert (await one(app, "login.succeeded")).ip_address == "203.0.113.10"


async def test_the_request_id_is_recorded(app, client, accounts):
    account = await accounts.create(login=False)
    response = await client.post("/auth/jwt/login", data={"username": account.email, "password": account.password})
    assert response.status_code == 200

    assert (await one(app, "login.succeeded")).request_id == response.headers["X-Request-ID"]


@pytest.mark.parametrize("settings_overrides", [{"trusted_proxies": ["203.0.113.0/24"]}])
async def test_a_trusted_proxys_request_id_is_the_one_recorded(app, client, accounts):
    account = await accounts.create(login=False)
    response = await client.post(
        "/auth/jwt/login",
        data={"username": account.email, "password": account.password},
        headers={"X-Request-ID": "0b9f1c3e6d2a4f58a1b2c3d4e5f60718"},
    )
    assert response.status_code == 200

    assert (await one(app, "login.succeeded")).request_id == "0b9f1c3e6d2a4f58a1b2c3d4e5f60718"


async def test_a_wrong_password_is_login_failed_bad_credentials(app, client, user):
    response = await log_in(client, user.email)
    assert response.status_code == 400

    event = await one(app, "login.failed")
    assert by_user(event, user.id) and event.target_user_id == user.id
    assert event.details == {"reason": "bad_credentials"}


async def test_an_unknown_email_is_recorded_anonymously_by_its_lockout_hash(app, client):
    await log_in(client, "Nobody@Example.com", password="hunter2-typed-as-email")

    event = await one(app, "login.failed")
    assert event.actor_kind == "anonymous" and event.actor_id is None and event.target_user_id is None
    assert event.details == {"reason": "bad_credentials", "email_hash": lockout_key(app, "nobody@example.com")}
    recorded = str([event.details, event.user_agent, event.ip_address]).lower()
    assert "nobody" not in recorded and "hunter2" not in recorded


async def test_an_inactive_account_is_login_failed_inactive(app, client, accounts):
    account = await accounts.create(login=False)
    await accounts.update(account, is_active=False)

    await log_in(client, account.email, password=account.password)

    assert (await one(app, "login.failed")).details == {"reason": "inactive"}


@pytest.mark.parametrize("settings_overrides", [{"require_verified_email": True}])
async def test_an_unverified_account_is_login_failed_unverified(app, client, accounts):
    account = await accounts.create(login=False)
    await accounts.update(account, is_verified=False)

    response = await log_in(client, account.email, password=account.password)
    assert response.status_code == 400

    assert (await one(app, "login.failed")).details == {"reason": "unverified"}


@pytest.mark.parametrize("settings_overrides", [{"login_max_failures": 3}])
async def test_the_lock_starting_is_login_locked_and_attempts_while_locked_are_login_failed_locked(app, client, user):
    for _ in range(3):
        await log_in(client, user.email)
    locked = await one(app, "login.locked")
    assert by_user(locked, user.id)
    assert locked.details["failed_count"] == 3
    assert locked.details["seconds"] == 60

    response = await log_in(client, user.email, password=user.password)  # the right password, while locked
    assert response.status_code == 400

    reasons = [event.details["reason"] for event in await events(app, "login.failed")]
    assert reasons == ["bad_credentials"] * 3 + ["locked"]
    assert len(await events(app, "login.locked")) == 1  # a lock is recorded when it starts, once


@pytest.mark.parametrize("settings_overrides", [{"login_max_failures": 2}])
async def test_an_unknown_email_locking_is_recorded_by_its_hash(app, client):
    for _ in range(2):
        await log_in(client, "ghost@example.com")

    locked = await one(app, "login.locked")
    assert locked.actor_kind == "anonymous" and locked.target_user_id is None
    assert locked.details["email_hash"] == lockout_key(app, "ghost@example.com")


@pytest.fixture
def totp_clock(app):
    return install_clock(app)


async def test_mfa_enabled_then_a_login_with_its_second_step(app, client, user, totp_clock):
    enrolled = await enrol(client, user, totp_clock)
    assert (await one(app, "mfa.enabled")).target_user_id == user.id

    token = await mfa_token(client, user)
    assert by_user(await one(app, "login.mfa_required"), user.id)
    logins_before = len(await events(app, "login.succeeded"))

    response = await second_step(client, token, otp=enrolled.code(totp_clock.now))
    assert response.status_code == 200

    succeeded = await one(app, "mfa.succeeded")
    assert succeeded.details == {"method": "otp"}
    completed = (await events(app, "login.succeeded"))[logins_before:]
    assert [event.details["amr"] for event in completed] == [["pwd", "otp"]]
    assert token not in str([event.details for event in await events(app)])


async def test_a_wrong_second_step_code_is_mfa_failed(app, client, user, totp_clock):
    await enrol(client, user, totp_clock)
    token = await mfa_token(client, user)

    response = await second_step(client, token, recovery_code="aaaaa-bbbbb")
    assert response.status_code == 400

    event = await one(app, "mfa.failed")
    assert by_user(event, user.id)
    assert event.details == {"method": "recovery_code"}
    assert "aaaaa" not in str(event.details)


async def test_disabling_and_an_admin_reset_of_the_second_factor(app, client, user, admin, totp_clock):
    enrolled = await enrol(client, user, totp_clock)
    response = await client.request(
        "DELETE",
        "/users/me/mfa",
        json={"current_password": user.password, "code": enrolled.code(totp_clock.now)},
        headers=user.headers,
    )
    assert response.status_code == 204
    assert by_user(await one(app, "mfa.disabled"), user.id)

    totp_clock.advance()
    await enrol(client, user, totp_clock)
    reset = await client.delete(f"/admin/users/{user.id}/mfa", headers=admin.headers)
    assert reset.status_code == 204

    event = await one(app, "mfa.reset")
    assert by_user(event, admin.id) and event.target_user_id == user.id


async def test_refreshes_are_not_recorded_but_a_reuse_is(app, client, accounts):
    account = await accounts.create(login=False)
    login = await client.post("/auth/jwt/login", data={"username": account.email, "password": account.password})
    first = login.json()["refresh_token"]
    before = len(await events(app))

    rotated = await client.post("/auth/jwt/refresh", data={"grant_type": "refresh_token", "refresh_token": first})
    assert rotated.status_code == 200
    assert len(await events(app)) == before

    # Spent outside the grace window: reuse.
    async with app.state.services.database.sessionmaker() as db:
        spent_long_ago = utcnow() - timedelta(hours=1)
        await db.execute(update(RefreshToken).where(RefreshToken.used_at.is_not(None)).values(used_at=spent_long_ago))
        await db.commit()
    reused = await client.post("/auth/jwt/refresh", data={"grant_type": "refresh_token", "refresh_token": first})
    assert reused.status_code == 400

    event = await one(app, "session.reuse_detected")
    assert event.target_user_id == account.id
    assert event.details["session_id"] == login_session_id(await one(app, "login.succeeded"))
    assert first not in str(event.details)


def login_session_id(event) -> str:
    return event.details["session_id"]


async def test_logout_and_revocation_are_logout(app, client, accounts):
    account = await accounts.create()
    response = await client.post("/auth/jwt/logout", headers=account.headers)
    assert response.status_code == 204

    second = await client.post("/auth/jwt/login", data={"username": account.email, "password": account.password})
    revoked = await client.post("/auth/jwt/revoke", data={"token": second.json()["refresh_token"]})
    assert revoked.status_code == 200

    logouts = await events(app, "logout")
    assert [event.details.get("via") for event in logouts] == [None, "revoke"]
    assert all(by_user(event, account.id) for event in logouts)


async def test_ending_one_of_ones_sessions_is_session_revoked(app, client, accounts):
    account = await accounts.create()
    other = await client.post("/auth/jwt/login", data={"username": account.email, "password": account.password})
    assert other.status_code == 200
    [listed, *_] = [
        session
        for session in (await client.get("/users/me/sessions", headers=account.headers)).json()
        if not session["current"]
    ]

    response = await client.delete(f"/users/me/sessions/{listed['id']}", headers=account.headers)
    assert response.status_code == 204

    event = await one(app, "session.revoked")
    assert by_user(event, account.id)
    assert event.details == {"session_id": listed["id"]}
