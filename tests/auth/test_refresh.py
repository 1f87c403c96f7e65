"""Refresh tokens: issued at login, rotated by POST /auth/jwt/refresh, reuse ends the session."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import uuid
from datetime import timedelta

import jwt
import pytest
from sqlalchemy import select

from app.core.secrets import SecretPurpose, derive_secret
from app.sessions.models import AuthSession, RefreshToken
from app.users.models import User
from tests.sessions.support import (
    REFRESH_PREFIX,
    ago,
    assert_access_refused,
    assert_access_works,
    assert_invalid_grant,
    login,
    refresh,
    refreshed,
    sessions_of,
    set_session,
    tokens_of,
)


def sid_of(access_token: str) -> str:
    return str(jwt.decode(access_token, options={"verify_signature": False})["sid"])


def session_of(tokens: dict) -> uuid.UUID:
    return uuid.UUID(sid_of(tokens["access_token"]))


def refresh_token_key(settings) -> bytes:
    return derive_secret(settings.signing_secret(), SecretPurpose.REFRESH_TOKEN).encode()


async def set_used_at(app, refresh_token_plain: str, settings, when) -> None:
    digest = hmac.new(
        refresh_token_key(settings),
        refresh_token_plain.encode(),
        hashlib.sha256,
    ).hexdigest()
    async with app.state.services.database.sessionmaker() as db:
        row = await db.scalar(select(RefreshToken).where(RefreshToken.token_hash == digest))
        assert row is not None
        row.used_at = when
        await db.commit()


# --- login ---------------------------------------------------------------------------------------


async def test_login_returns_a_refresh_token_beside_the_access_token(client, accounts):
    account = await accounts.create(login=False)

    response = await client.post("/auth/jwt/login", data={"username": account.email, "password": account.password})

    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 900
    assert body["refresh_token"].startswith(REFRESH_PREFIX)
    assert response.headers["Cache-Control"] == "no-store"


async def test_refresh_token_is_stored_only_as_its_keyed_hash(client, app, user, settings):
    tokens = await login(client, user.email, user.password)

    session_id = sid_of(tokens["access_token"])
    [stored] = await tokens_of(app, uuid.UUID(session_id))
    expected = hmac.new(
        refresh_token_key(settings),
        tokens["refresh_token"].encode(),
        hashlib.sha256,
    ).hexdigest()
    assert stored.token_hash == expected
    assert tokens["refresh_token"] not in repr(stored.__dict__)


async def test_each_login_starts_its_own_session(client, app, user):
    first = await login(client, user.email, user.password)
    second = await login(client, user.email, user.password)

    assert sid_of(first["access_token"]) != sid_of(second["access_token"])
    assert first["refresh_token"] != second["refresh_token"]
    assert len(await sessions_of(app, user.id)) == 3  # the fixture's login and these two


@pytest.mark.parametrize("settings_overrides", [{"refresh_token_ttl_seconds": 3600}])
async def test_refresh_token_lives_for_the_configured_ttl(client, app, user):
    tokens = await login(client, user.email, user.password)

    [stored] = await tokens_of(app, session_of(tokens))
    assert stored.expires_at - stored.created_at == timedelta(seconds=3600)


# --- rotation ------------------------------------------------------------------------------------


async def test_refresh_returns_a_new_access_token_and_a_new_refresh_token(client, user):
    tokens = await login(client, user.email, user.password)

    response = await refresh(client, tokens["refresh_token"])

    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "refresh_token"}
    assert body["token_type"] == "bearer"
    assert body["refresh_token"].startswith(REFRESH_PREFIX)
    assert body["refresh_token"] != tokens["refresh_token"]
    assert body["access_token"] != tokens["access_token"]
    assert response.headers["Cache-Control"] == "no-store"
    await assert_access_works(client, body["access_token"])


async def test_refreshed_access_token_belongs_to_the_same_session(client, user):
    tokens = await login(client, user.email, user.password)

    body = await refreshed(client, tokens["refresh_token"])

    assert sid_of(body["access_token"]) == sid_of(tokens["access_token"])


async def test_a_rotated_refresh_token_can_itself_be_rotated(client, user):
    tokens = await login(client, user.email, user.password)

    second = await refreshed(client, tokens["refresh_token"])
    third = await refreshed(client, second["refresh_token"])

    await assert_access_works(client, third["access_token"])


async def test_refresh_records_when_and_from_where_the_session_was_used(client, app, user):
    tokens = await login(client, user.email, user.password, **{"User-Agent": "first-agent"})

    response = await refresh(client, tokens["refresh_token"], **{"User-Agent": "second-agent"})

    assert response.status_code == 200
    [session] = [s for s in await sessions_of(app, user.id) if s.id == session_of(tokens)]
    assert session.last_refreshed_at is not None
    assert session.user_agent == "second-agent"
    assert session.ip_address == "203.0.113.10"


async def test_refresh_slides_the_session_expiry(client, app, user):
    tokens = await login(client, user.email, user.password)
    session_id = session_of(tokens)
    await set_session(app, session_id, expires_at=ago(days=-1))  # one day left

    await refreshed(client, tokens["refresh_token"])

    [session] = [s for s in await sessions_of(app, user.id) if s.id == session_id]
    assert session.expires_at > ago(days=-29)


# --- reuse ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("settings_overrides", [{"refresh_token_reuse_grace_seconds": 0}])
async def test_spent_refresh_token_is_refused_with_invalid_grant(client, user):
    tokens = await login(client, user.email, user.password)
    await refreshed(client, tokens["refresh_token"])

    response = await refresh(client, tokens["refresh_token"])

    assert_invalid_grant(response)
    assert response.json()["detail"] == "INVALID_REFRESH_TOKEN"


@pytest.mark.parametrize("settings_overrides", [{"refresh_token_reuse_grace_seconds": 0}])
async def test_reuse_revokes_every_token_of_the_family(client, user):
    tokens = await login(client, user.email, user.password)
    second = await refreshed(client, tokens["refresh_token"])
    third = await refreshed(client, second["refresh_token"])

    assert_invalid_grant(await refresh(client, tokens["refresh_token"]))

    assert_invalid_grant(await refresh(client, third["refresh_token"]))
    await assert_access_refused(client, third["access_token"])
    await assert_access_refused(client, second["access_token"])


@pytest.mark.parametrize("settings_overrides", [{"refresh_token_reuse_grace_seconds": 0}])
async def test_reuse_leaves_the_users_other_sessions_alone(client, user):
    stolen = await login(client, user.email, user.password)
    await refreshed(client, stolen["refresh_token"])

    assert_invalid_grant(await refresh(client, stolen["refresh_token"]))

    await assert_access_works(client, user.token)


@pytest.mark.parametrize("settings_overrides", [{"refresh_token_reuse_grace_seconds": 0}])
async def test_reuse_is_recorded_on_the_session_and_logged_without_the_token(client, app, user, caplog):
    tokens = await login(client, user.email, user.password)
    second = await refreshed(client, tokens["refresh_token"])
    caplog.set_level(logging.INFO)

    await refresh(client, tokens["refresh_token"])

    [session] = [s for s in await sessions_of(app, user.id) if s.id == session_of(tokens)]
    assert session.revoked_at is not None
    assert session.revoked_reason == "reuse_detected"
    warnings = [record for record in caplog.records if "reuse detected" in record.getMessage()]
    assert len(warnings) == 1
    assert warnings[0].levelno == logging.WARNING
    assert str(session.id) in warnings[0].getMessage()
    for record in caplog.records:
        assert tokens["refresh_token"] not in record.getMessage()
        assert second["refresh_token"] not in record.getMessage()


async def test_spent_token_presented_again_within_the_grace_window_gets_a_fresh_pair(client, user):
    tokens = await login(client, user.email, user.password)
    first_tab = await refreshed(client, tokens["refresh_token"])

    second_tab = await refresh(client, tokens["refresh_token"])

    assert second_tab.status_code == 200, second_tab.text
    body = second_tab.json()
    assert body["refresh_token"] != first_tab["refresh_token"]
    assert sid_of(body["access_token"]) == sid_of(tokens["access_token"])
    # Both tabs carry on, each with its own refresh token.
    await assert_access_works(client, (await refreshed(client, first_tab["refresh_token"]))["access_token"])
    await assert_access_works(client, (await refreshed(client, body["refresh_token"]))["access_token"])


async def test_spent_token_presented_after_the_grace_window_revokes_the_family(client, app, user, settings):
    tokens = await login(client, user.email, user.password)
    second = await refreshed(client, tokens["refresh_token"])
    await set_used_at(
        app, tokens["refresh_token"], settings, ago(seconds=settings.refresh_token_reuse_grace_seconds + 1)
    )

    assert_invalid_grant(await refresh(client, tokens["refresh_token"]))

    assert_invalid_grant(await refresh(client, second["refresh_token"]))
    await assert_access_refused(client, second["access_token"])


@pytest.mark.parametrize("settings_overrides", [{"refresh_token_reuse_grace_seconds": 0}])
async def test_concurrent_refreshes_with_one_token_and_no_grace_let_one_win_then_end_the_family(client, user):
    tokens = await login(client, user.email, user.password)

    responses = await asyncio.gather(*(refresh(client, tokens["refresh_token"]) for _ in range(4)))

    statuses = sorted(response.status_code for response in responses)
    assert statuses == [200, 400, 400, 400]
    [winner] = [response.json() for response in responses if response.status_code == 200]
    assert_invalid_grant(await refresh(client, winner["refresh_token"]))  # the family was revoked


async def test_concurrent_refreshes_within_the_grace_window_all_succeed_in_one_session(client, app, user):
    tokens = await login(client, user.email, user.password)

    responses = await asyncio.gather(*(refresh(client, tokens["refresh_token"]) for _ in range(4)))

    assert [response.status_code for response in responses] == [200] * 4
    bodies = [response.json() for response in responses]
    assert len({body["refresh_token"] for body in bodies}) == 4
    assert {sid_of(body["access_token"]) for body in bodies} == {sid_of(tokens["access_token"])}
    session_id = session_of(tokens)
    [spent] = [token for token in await tokens_of(app, session_id) if token.used_at is not None]
    assert spent.replaced_by is not None  # spent once; the others were grace exchanges


# --- refusals ------------------------------------------------------------------------------------


async def test_unknown_refresh_token_is_refused(client):
    assert_invalid_grant(await refresh(client, REFRESH_PREFIX + "A" * 43))


async def test_malformed_refresh_token_is_refused(client):
    assert_invalid_grant(await refresh(client, "not-a-refresh-token"))


async def test_expired_refresh_token_is_refused(client, app, user):
    tokens = await login(client, user.email, user.password)
    session_id = session_of(tokens)
    async with app.state.services.database.sessionmaker() as db:
        for token in (await db.scalars(select(RefreshToken).where(RefreshToken.session_id == session_id))).all():
            token.expires_at = ago(seconds=1)
        await db.commit()

    assert_invalid_grant(await refresh(client, tokens["refresh_token"]))


async def test_refresh_token_of_an_expired_session_is_refused(client, app, user):
    tokens = await login(client, user.email, user.password)
    await set_session(app, session_of(tokens), expires_at=ago(seconds=1))

    assert_invalid_grant(await refresh(client, tokens["refresh_token"]))


async def test_refresh_token_of_a_revoked_session_is_refused(client, app, user):
    tokens = await login(client, user.email, user.password)
    await set_session(app, session_of(tokens), revoked_at=ago(seconds=1), revoked_reason="test")

    assert_invalid_grant(await refresh(client, tokens["refresh_token"]))


async def test_refresh_token_of_a_deactivated_user_is_refused(client, app, user):
    tokens = await login(client, user.email, user.password)
    async with app.state.services.database.sessionmaker() as db:
        row = await db.get(User, user.id)
        row.is_active = False
        await db.commit()

    assert_invalid_grant(await refresh(client, tokens["refresh_token"]))


async def test_refresh_after_the_user_was_deleted_is_refused_and_the_rows_are_gone(client, app, admin, user):
    tokens = await login(client, user.email, user.password)

    deleted = await client.delete(f"/admin/users/{user.id}", headers=admin.headers)

    assert deleted.status_code == 204, deleted.text
    assert_invalid_grant(await refresh(client, tokens["refresh_token"]))
    assert await sessions_of(app, user.id) == []
    async with app.state.services.database.sessionmaker() as db:
        orphans = await db.scalars(select(RefreshToken).where(~RefreshToken.session_id.in_(select(AuthSession.id))))
        assert orphans.all() == []


# --- the request itself --------------------------------------------------------------------------


async def test_wrong_grant_type_is_unsupported_grant_type(client, user):
    tokens = await login(client, user.email, user.password)

    response = await client.post(
        "/auth/jwt/refresh", data={"grant_type": "password", "refresh_token": tokens["refresh_token"]}
    )

    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_grant_type"


async def test_missing_grant_type_is_invalid_request(client, user):
    tokens = await login(client, user.email, user.password)

    response = await client.post("/auth/jwt/refresh", data={"refresh_token": tokens["refresh_token"]})

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


async def test_missing_refresh_token_is_invalid_request(client):
    response = await client.post("/auth/jwt/refresh", data={"grant_type": "refresh_token"})

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


async def test_a_json_body_is_invalid_request_not_a_validation_error(client, user):
    tokens = await login(client, user.email, user.password)

    response = await client.post(
        "/auth/jwt/refresh", json={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    )

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


async def test_a_refused_refresh_does_not_spend_the_real_token(client, user):
    tokens = await login(client, user.email, user.password)
    assert_invalid_grant(await refresh(client, REFRESH_PREFIX + "B" * 43))

    await refreshed(client, tokens["refresh_token"])
