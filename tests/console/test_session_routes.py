"""The console's cookie sign-in: /console/session, /mfa, /refresh, /logout."""

from __future__ import annotations

import pytest

from app.console.cookies import COOKIE_NAME
from tests.mfa.support import enrol, install_clock

CONSOLE = {"X-Gatehouse-Console": "1"}


def set_cookie_of(response) -> str:
    headers = [value for name, value in response.headers.multi_items() if name == "set-cookie"]
    assert len(headers) == 1, headers
    return headers[0]


async def sign_in(client, account, headers=CONSOLE):
    return await client.post(
        "/console/session", data={"username": account.email, "password": account.password}, headers=headers
    )


async def test_sign_in_answers_an_access_token_and_keeps_the_refresh_token_in_a_strict_httponly_cookie(client, user):
    response = await sign_in(client, user)

    assert response.status_code == 200, response.text
    assert set(response.json()) == {"access_token", "token_type", "expires_in"}
    assert "no-store" in response.headers["cache-control"]
    cookie = set_cookie_of(response)
    attributes = {part.strip().split("=")[0].lower(): part.strip() for part in cookie.split(";")}
    assert cookie.startswith(f"{COOKIE_NAME}=gatehouse_rt_")
    assert "httponly" in attributes
    assert attributes["samesite"].lower() == "samesite=strict"
    assert attributes["path"] == "Path=/console/session"
    assert "secure" not in attributes  # PUBLIC_URL is http here
    me = await client.get("/users/me", headers={"Authorization": f"Bearer {response.json()['access_token']}"})
    assert me.status_code == 200
    assert me.json()["email"] == user.email


@pytest.mark.parametrize("settings_overrides", [{"public_url": "https://auth.example.com"}])
async def test_the_cookie_is_secure_when_the_public_url_is_https(client, user):
    response = await sign_in(client, user)

    assert response.status_code == 200
    assert "secure" in set_cookie_of(response).lower()


async def test_wrong_password_answers_like_the_api_login_and_sets_no_cookie(client, user):
    response = await client.post(
        "/console/session", data={"username": user.email, "password": "not-the-password-at-all"}, headers=CONSOLE
    )

    assert response.status_code == 400
    assert response.json()["detail"] == "LOGIN_BAD_CREDENTIALS"
    assert "set-cookie" not in response.headers


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Gatehouse-Console": "yes"},
        {**CONSOLE, "Origin": "https://evil.example"},
        {**CONSOLE, "Sec-Fetch-Site": "cross-site"},
        {**CONSOLE, "Sec-Fetch-Site": "same-site"},
    ],
)
async def test_requests_not_from_the_console_pages_are_refused(client, user, headers):
    for path in ("/console/session", "/console/session/mfa", "/console/session/refresh", "/console/session/logout"):
        response = await client.post(path, data={"username": user.email, "password": user.password}, headers=headers)

        assert response.status_code == 403, (path, response.text)
        assert response.json()["detail"] == "CONSOLE_REQUEST_REFUSED"
        assert "set-cookie" not in response.headers


async def test_the_services_own_origin_is_accepted(client, user):
    response = await sign_in(client, user, headers={**CONSOLE, "Origin": "http://testserver"})
    assert response.status_code == 200


@pytest.mark.parametrize("settings_overrides", [{"public_url": "https://auth.example.com"}])
async def test_the_public_urls_origin_is_accepted_too(client, user):
    """Behind a proxy the request's own origin is the inner one; PUBLIC_URL names the outer."""
    response = await sign_in(client, user, headers={**CONSOLE, "Origin": "https://auth.example.com"})
    assert response.status_code == 200
    response = await sign_in(client, user, headers={**CONSOLE, "Origin": "https://elsewhere.example.com"})
    assert response.status_code == 403


async def test_refresh_rotates_the_cookie_and_answers_a_new_access_token(client, user):
    await sign_in(client, user)
    first = client.cookies.get(COOKIE_NAME, path="/console/session")

    response = await client.post("/console/session/refresh", headers=CONSOLE)

    assert response.status_code == 200, response.text
    assert set(response.json()) == {"access_token", "token_type", "expires_in"}
    second = client.cookies.get(COOKIE_NAME, path="/console/session")
    assert second and second != first
    me = await client.get("/users/me", headers={"Authorization": f"Bearer {response.json()['access_token']}"})
    assert me.status_code == 200


async def test_refresh_without_a_cookie_answers_204(client):
    response = await client.post("/console/session/refresh", headers=CONSOLE)

    assert response.status_code == 204
    assert "set-cookie" not in response.headers


async def test_refresh_with_a_dead_cookie_answers_204_and_clears_it(client, user):
    client.cookies.set(COOKIE_NAME, "gatehouse_rt_" + "x" * 43, path="/console/session")

    response = await client.post("/console/session/refresh", headers=CONSOLE)

    assert response.status_code == 204
    assert "max-age=0" in set_cookie_of(response).lower()


async def test_logout_ends_the_session_and_clears_the_cookie(client, user):
    signed_in = await sign_in(client, user)
    token = signed_in.json()["access_token"]

    response = await client.post("/console/session/logout", headers=CONSOLE)

    assert response.status_code == 204
    assert "max-age=0" in set_cookie_of(response).lower()
    assert (await client.get("/users/me", headers={"Authorization": f"Bearer {token}"})).status_code == 401
    assert (await client.post("/console/session/refresh", headers=CONSOLE)).status_code == 204


async def test_a_second_factor_account_gets_the_challenge_then_signs_in_with_a_code(app, client, user):
    clock = install_clock(app)
    enrolled = await enrol(client, user, clock)

    challenge = await sign_in(client, user)

    assert challenge.status_code == 403
    assert challenge.json()["detail"] == "MFA_REQUIRED"
    assert "set-cookie" not in challenge.headers
    wrong = await client.post(
        "/console/session/mfa", data={"mfa_token": challenge.json()["mfa_token"], "otp": "000000"}, headers=CONSOLE
    )
    assert wrong.status_code == 400
    assert wrong.json()["detail"] == "MFA_CODE_INVALID"
    done = await client.post(
        "/console/session/mfa",
        data={"mfa_token": challenge.json()["mfa_token"], "otp": enrolled.code(clock.now)},
        headers=CONSOLE,
    )
    assert done.status_code == 200, done.text
    assert COOKIE_NAME in set_cookie_of(done)
    refreshed = await client.post("/console/session/refresh", headers=CONSOLE)
    assert refreshed.status_code == 200


async def test_the_second_step_needs_its_fields(client):
    response = await client.post("/console/session/mfa", data={"mfa_token": "x"}, headers=CONSOLE)

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


@pytest.mark.parametrize("settings_overrides", [{"login_rate_limit": "3/minute"}])
async def test_sign_in_shares_the_api_logins_rate_limit(client, user):  # the fixture logged in once
    assert (
        await client.post("/auth/jwt/login", data={"username": user.email, "password": user.password})
    ).status_code == 200
    assert (await sign_in(client, user)).status_code == 200

    refused = await sign_in(client, user)

    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) > 0
    assert (
        await client.post("/auth/jwt/login", data={"username": user.email, "password": user.password})
    ).status_code == 429


@pytest.mark.parametrize("settings_overrides", [{"login_max_failures": 2}])
async def test_sign_in_is_locked_out_like_the_api_login(client, user):
    for _ in range(2):
        await client.post(
            "/console/session", data={"username": user.email, "password": "wrong-password-here"}, headers=CONSOLE
        )

    locked = await sign_in(client, user)

    assert locked.status_code == 400
    assert locked.json()["detail"] == "LOGIN_BAD_CREDENTIALS"
    assert "retry-after" in locked.headers


@pytest.mark.parametrize("settings_overrides", [{"require_verified_email": True}])
async def test_an_unverified_account_is_refused_like_the_api_login(client, accounts):
    account = await accounts.create(login=False)
    await accounts.update(account, is_verified=False)

    response = await sign_in(client, account)

    assert response.status_code == 400
    assert response.json()["detail"] == "LOGIN_USER_NOT_VERIFIED"


async def test_the_session_routes_are_documented(client):
    paths = (await client.get("/openapi.json")).json()["paths"]

    for path in ("/console/session", "/console/session/mfa", "/console/session/refresh", "/console/session/logout"):
        assert "post" in paths[path], path
    assert not any(path.startswith("/console/assets") or path == "/console/{path}" for path in paths)
