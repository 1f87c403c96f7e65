"""OAuth2 clients written by others, against a real Gatehouse process, configured from the
metadata document alone: Authlib (requests and httpx), requests-oauthlib."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest
from authlib.integrations.httpx_client import AsyncOAuth2Client
from authlib.integrations.requests_client import OAuth2Session
from oauthlib.oauth2 import LegacyApplicationClient
from requests_oauthlib import OAuth2Session as OAuthlibSession

from tests.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.processes

TTL = 10  # ACCESS_TOKEN_TTL_SECONDS: the shortest the service takes
SHORT_TOKENS = {"ACCESS_TOKEN_TTL_SECONDS": str(TTL), "JWT_LEEWAY_SECONDS": "0"}


def wait_past_expiry(issued_at: float) -> None:
    time.sleep(max(0.0, issued_at + TTL + 1 - time.time()))


async def wait_past_expiry_async(issued_at: float) -> None:
    await asyncio.sleep(max(0.0, issued_at + TTL + 1 - time.time()))


def test_authlib_oauth2_session(live_gatehouse):
    server = live_gatehouse(**SHORT_TOKENS)
    server.register("ada@example.com")
    metadata = server.metadata()
    updates: list[dict] = []
    session = OAuth2Session(
        client_id="a-public-client",
        token_endpoint_auth_method="none",
        token_endpoint=metadata["token_endpoint"],
        update_token=lambda token, **_: updates.append(token),
        leeway=0,
    )
    started = time.time()
    first = session.fetch_token(metadata["token_endpoint"], username="ada@example.com", password=DEFAULT_PASSWORD)
    assert first["token_type"] == "bearer" and first["refresh_token"]
    assert session.get(server.url + "/users/me").json()["email"] == "ada@example.com"

    wait_past_expiry(started)
    me = session.get(server.url + "/users/me")  # Authlib refreshes at the token endpoint first
    assert me.status_code == 200, me.text
    assert len(updates) == 1 and updates[0]["access_token"] != first["access_token"]

    revoked = session.revoke_token(
        metadata["revocation_endpoint"], token=session.token["refresh_token"], token_type_hint="refresh_token"
    )
    assert revoked.status_code == 200
    after = session.get(server.url + "/users/me")
    assert after.status_code == 401
    assert after.headers["WWW-Authenticate"].startswith("Bearer")


async def test_authlib_httpx_async_oauth2_client(live_gatehouse):
    server = live_gatehouse(**SHORT_TOKENS)
    server.register("grace@example.com")
    metadata = server.metadata()
    updates: list[dict] = []

    async def record(token: dict, **_: object) -> None:
        updates.append(token)

    async with AsyncOAuth2Client(
        client_id="a-public-client",
        token_endpoint_auth_method="none",
        token_endpoint=metadata["token_endpoint"],
        update_token=record,
        leeway=0,
    ) as client:
        started = time.time()
        first = await client.fetch_token(
            metadata["token_endpoint"], username="grace@example.com", password=DEFAULT_PASSWORD
        )
        assert (await client.get(server.url + "/users/me")).status_code == 200

        await wait_past_expiry_async(started)
        me = await client.get(server.url + "/users/me")
        assert me.status_code == 200, me.text
        assert len(updates) == 1 and updates[0]["access_token"] != first["access_token"]

        revoked = await client.revoke_token(metadata["revocation_endpoint"], token=client.token["access_token"])
        assert revoked.status_code == 200
        assert (await client.get(server.url + "/users/me")).status_code == 401
        # The session's refresh token died with it.
        async with httpx.AsyncClient() as plain:
            refused = await plain.post(
                metadata["token_endpoint"],
                data={"grant_type": "refresh_token", "refresh_token": client.token["refresh_token"]},
            )
        assert refused.status_code == 400
        assert refused.json()["error"] == "invalid_grant"


def test_authlib_reports_a_wrong_password_with_its_description(live_gatehouse):
    from authlib.integrations.base_client.errors import OAuthError

    server = live_gatehouse()
    server.register("eve@example.com")
    metadata = server.metadata()
    session = OAuth2Session(client_id="a-public-client", token_endpoint_auth_method="none")
    with pytest.raises(OAuthError) as raised:
        session.fetch_token(metadata["token_endpoint"], username="eve@example.com", password="not-the-password")
    assert raised.value.error == "invalid_grant"
    assert raised.value.description == "Incorrect email or password."


def test_requests_oauthlib_legacy_application_client(live_gatehouse, monkeypatch):
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # the test server speaks plain HTTP
    server = live_gatehouse(**SHORT_TOKENS)
    server.register("alan@example.com")
    metadata = server.metadata()
    updates: list[dict] = []
    session = OAuthlibSession(
        client=LegacyApplicationClient(client_id="a-public-client"),
        auto_refresh_url=metadata["token_endpoint"],
        token_updater=updates.append,
    )
    started = time.time()
    # requests-oauthlib sends HTTP Basic with the client id and an empty secret: ignored.
    first = session.fetch_token(
        token_url=metadata["token_endpoint"], username="alan@example.com", password=DEFAULT_PASSWORD
    )
    assert session.get(server.url + "/users/me").json()["email"] == "alan@example.com"

    wait_past_expiry(started)
    me = session.get(server.url + "/users/me")
    assert me.status_code == 200, me.text
    assert len(updates) == 1 and updates[0]["access_token"] != first["access_token"]
