"""`POST /auth/token`: the password, refresh and second-factor grants at one URL, RFC 6749 errors."""

from __future__ import annotations

import base64

import pytest
from jose import jwt

from app.auth.grants import MFA_OTP_GRANT
from tests.mfa.support import enrol, install_clock

TOKEN = "/auth/token"
LIMITED = {"login_rate_limit": "3/minute", "mfa_rate_limit": "10000/minute"}


def basic(user: str, secret: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{secret}".encode()).decode()}


def password_form(account, **extra):
    return {"grant_type": "password", "username": account.email, "password": account.password, **extra}


def claims_of(token: str) -> dict:
    return jwt.get_unverified_claims(token)


async def test_password_grant_answers_the_logins_tokens(client, accounts):
    account = await accounts.create(login=False)
    response = await client.post(TOKEN, data=password_form(account))
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "refresh_token"}
    assert body["token_type"] == "bearer"
    me = await client.get("/users/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.json()["email"] == account.email
    claims = claims_of(body["access_token"])
    assert claims["role"] == "user"
    assert claims["amr"] == ["pwd"]


async def test_client_id_and_an_empty_basic_header_are_ignored(client, accounts):
    account = await accounts.create(login=False)
    # What Swagger UI sends (Basic of ":") and what requests-oauthlib sends (Basic "id:").
    for headers in (basic("", ""), basic("my-app", ""), {}):
        response = await client.post(TOKEN, data=password_form(account, client_id="my-app"), headers=headers)
        assert response.status_code == 200, (headers, response.text)


async def test_basic_client_credentials_with_a_secret_are_refused(client, accounts):
    account = await accounts.create(login=False)
    response = await client.post(TOKEN, data=password_form(account), headers=basic("my-app", "s3cret"))
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert response.json()["detail"] == "INVALID_CLIENT"
    assert response.headers["WWW-Authenticate"].startswith("Basic")
    garbled = await client.post(TOKEN, data=password_form(account), headers={"Authorization": "Basic !!!"})
    assert garbled.status_code == 401


async def test_wrong_password_is_invalid_grant_with_a_description(client, accounts):
    account = await accounts.create(login=False)
    response = await client.post(TOKEN, data={**password_form(account), "password": "not-the-password"})
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "invalid_grant"
    assert body["detail"] == "LOGIN_BAD_CREDENTIALS"
    assert body["error_description"] == body["message"]
    # The same answer as the login route.
    legacy = await client.post("/auth/jwt/login", data={"username": account.email, "password": "not-the-password"})
    assert legacy.json() == body


@pytest.mark.parametrize(
    "form",
    [
        {},
        {"username": "a@example.com", "password": "x"},
        {"grant_type": "password", "username": "a@example.com"},
        {"grant_type": "password", "password": "x"},
        {"grant_type": "refresh_token"},
        {"grant_type": MFA_OTP_GRANT, "otp": "123456"},
        {"grant_type": MFA_OTP_GRANT, "mfa_token": "gatehouse_mfa_x"},
    ],
)
async def test_a_missing_parameter_is_invalid_request(client, form):
    response = await client.post(TOKEN, data=form)
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "invalid_request"
    assert body["detail"] == "INVALID_TOKEN_REQUEST"
    assert body["error_description"]


async def test_an_unknown_grant_is_unsupported_grant_type(client):
    response = await client.post(TOKEN, data={"grant_type": "client_credentials"})
    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_grant_type"
    assert MFA_OTP_GRANT in response.json()["error_description"]


async def test_refresh_grant_rotates_like_the_refresh_route(client, accounts):
    account = await accounts.create(login=False)
    first = (await client.post(TOKEN, data=password_form(account))).json()
    second = await client.post(TOKEN, data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]})
    assert second.status_code == 200
    assert second.json()["refresh_token"] != first["refresh_token"]
    assert claims_of(second.json()["access_token"])["sid"] == claims_of(first["access_token"])["sid"]
    unknown = await client.post(TOKEN, data={"grant_type": "refresh_token", "refresh_token": "gatehouse_rt_nope"})
    assert unknown.status_code == 400
    assert unknown.json()["error"] == "invalid_grant"
    assert unknown.json()["detail"] == "INVALID_REFRESH_TOKEN"
    assert unknown.json()["error_description"]


async def test_a_refresh_carries_the_role_the_account_has_now(client, accounts):
    account = await accounts.create(login=False)
    first = (await client.post(TOKEN, data=password_form(account))).json()
    await accounts.update(account, role="guest")
    refreshed = await client.post(TOKEN, data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]})
    assert claims_of(refreshed.json()["access_token"])["role"] == "guest"


async def test_the_old_routes_keep_working(client, accounts):
    account = await accounts.create(login=False)
    login = await client.post("/auth/jwt/login", data={"username": account.email, "password": account.password})
    assert login.status_code == 200
    refresh = await client.post(
        "/auth/jwt/refresh", data={"grant_type": "refresh_token", "refresh_token": login.json()["refresh_token"]}
    )
    assert refresh.status_code == 200


async def test_the_mfa_grant_completes_a_login(app, client, accounts):
    clock = install_clock(app)
    account = await accounts.create()
    enrolled = await enrol(client, account, clock)
    step = await client.post(TOKEN, data=password_form(account))
    assert step.status_code == 403
    assert step.json()["error"] == "mfa_required"
    mfa_token = step.json()["mfa_token"]

    wrong = await client.post(TOKEN, data={"grant_type": MFA_OTP_GRANT, "mfa_token": mfa_token, "otp": "000000"})
    assert wrong.status_code == 400
    assert wrong.json()["error"] == "invalid_grant"
    assert wrong.json()["detail"] == "MFA_CODE_INVALID"

    done = await client.post(
        TOKEN, data={"grant_type": MFA_OTP_GRANT, "mfa_token": mfa_token, "otp": enrolled.code(clock.now)}
    )
    assert done.status_code == 200, done.text
    claims = claims_of(done.json()["access_token"])
    assert claims["amr"] == ["pwd", "otp"]
    assert claims["role"] == "user"

    step = await client.post(TOKEN, data=password_form(account))
    by_recovery = await client.post(
        TOKEN,
        data={
            "grant_type": MFA_OTP_GRANT,
            "mfa_token": step.json()["mfa_token"],
            "recovery_code": enrolled.recovery_codes[0],
        },
    )
    assert by_recovery.status_code == 200
    assert claims_of(by_recovery.json()["access_token"])["amr"] == ["pwd", "mfa"]


class TestLoginLimit:
    @pytest.fixture
    def settings_overrides(self):
        return dict(LIMITED)

    async def test_password_grants_share_the_login_routes_bucket(self, client, accounts):
        account = await accounts.create(login=False)
        wrong = {"username": account.email, "password": "not-the-password"}
        assert (await client.post("/auth/jwt/login", data=wrong)).status_code == 400
        assert (await client.post(TOKEN, data={"grant_type": "password", **wrong})).status_code == 400
        assert (await client.post("/auth/jwt/login", data=wrong)).status_code == 400
        over = await client.post(TOKEN, data=password_form(account))
        assert over.status_code == 429
        assert over.json()["error"] == "rate_limited"
        assert over.json()["error_description"]
        assert int(over.headers["Retry-After"]) >= 1
        assert (await client.post("/auth/jwt/login", data=wrong)).status_code == 429

    async def test_refresh_grants_do_not_count(self, client, accounts):
        account = await accounts.create(login=False)
        tokens = (await client.post(TOKEN, data=password_form(account))).json()
        for _ in range(5):
            response = await client.post(
                TOKEN, data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
            )
            assert response.status_code == 200, response.text
            tokens = response.json()
        # Two password grants are still left of the three.
        assert (await client.post(TOKEN, data=password_form(account))).status_code == 200
        assert (await client.post(TOKEN, data=password_form(account))).status_code == 200
        assert (await client.post(TOKEN, data=password_form(account))).status_code == 429


async def test_lockout_applies_to_the_password_grant(client, accounts, settings):
    account = await accounts.create(login=False)
    wrong = {"grant_type": "password", "username": account.email, "password": "not-the-password"}
    for _ in range(settings.login_max_failures):
        assert (await client.post(TOKEN, data=wrong)).status_code == 400
    locked = await client.post(TOKEN, data=password_form(account))
    assert locked.status_code == 400
    assert locked.json()["detail"] == "LOGIN_BAD_CREDENTIALS"
    assert "Retry-After" in locked.headers
