"""Registration, verification and password reset with nothing but settings, against a real SMTP server."""

from __future__ import annotations

import time

import jwt
import pytest

from app.core.secrets import SecretPurpose, derive_secret
from app.users.service import UserService
from tests.factories import TEST_SECRET, links_in
from tests.mail.smtp import SmtpServer
from tests.mail.support import outbox

PASSWORD = "a-long-enough-password"
NEW_PASSWORD = "a-brand-new-password"


def token_from(smtp_server: SmtpServer, address: str, page: str) -> str:
    tokens = [token for message in smtp_server.inbox.to(address) for found, token in links_in(message) if found == page]
    assert len(tokens) == 1, smtp_server.inbox.to(address)
    return tokens[0]


async def register(client, email: str = "ada@example.com"):
    return await client.post("/auth/register", json={"email": email, "password": PASSWORD})


async def test_registration_mails_a_verification_link_that_verifies_once(client, smtp_server):
    assert (await register(client)).status_code == 201

    token = token_from(smtp_server, "ada@example.com", "verify")
    first = await client.post("/auth/verify", json={"token": token})
    second = await client.post("/auth/verify", json={"token": token})

    assert first.status_code == 200
    assert first.json()["is_verified"] is True
    assert second.status_code == 400
    assert second.json()["detail"] == "VERIFY_USER_ALREADY_VERIFIED"


@pytest.mark.parametrize("settings_overrides", [{"send_verification_email": False}], indirect=True)
async def test_registration_sends_nothing_when_verification_mail_is_off(client, smtp_server, settings_overrides):
    assert (await register(client)).status_code == 201

    assert smtp_server.inbox.messages == []


async def test_a_registration_that_rolls_back_leaves_no_message(app, client, smtp_server, monkeypatch):
    assert (await register(client)).status_code == 201
    smtp_server.inbox.messages.clear()

    async def no_one(self, *, email):  # the check misses the account, as when two registrations race
        return None

    monkeypatch.setattr(UserService, "get_by_email", no_one)
    response = await register(client)  # the unique index refuses it at the commit

    assert response.status_code == 400
    assert response.json()["detail"] == "REGISTER_USER_ALREADY_EXISTS"
    assert len(await outbox(app)) == 1  # the first registration's
    assert smtp_server.inbox.messages == []


@pytest.mark.parametrize("settings_overrides", [{"require_verified_email": True}], indirect=True)
async def test_verified_email_required_refuses_login_until_verified(client, smtp_server, settings_overrides):
    await register(client)
    form = {"username": "ada@example.com", "password": PASSWORD}

    refused = await client.post("/auth/jwt/login", data=form)
    await client.post("/auth/verify", json={"token": token_from(smtp_server, "ada@example.com", "verify")})
    allowed = await client.post("/auth/jwt/login", data=form)

    assert refused.status_code == 400
    assert refused.json()["detail"] == "LOGIN_USER_NOT_VERIFIED"
    assert "access_token" not in refused.json()
    assert allowed.status_code == 200


@pytest.mark.parametrize("settings_overrides", [{"require_verified_email": True}], indirect=True)
async def test_verified_email_required_still_answers_a_wrong_password_as_bad_credentials(
    client, smtp_server, settings_overrides
):
    await register(client)

    response = await client.post("/auth/jwt/login", data={"username": "ada@example.com", "password": "wrong-password!"})

    assert response.json()["detail"] == "LOGIN_BAD_CREDENTIALS"


async def test_unverified_accounts_log_in_by_default(client, smtp_server):
    await register(client)

    response = await client.post("/auth/jwt/login", data={"username": "ada@example.com", "password": PASSWORD})

    assert response.status_code == 200


async def test_forgot_password_answers_202_for_an_unknown_email_and_mails_nothing(app, client, smtp_server):
    response = await client.post("/auth/forgot-password", json={"email": "nobody@example.com"})

    assert response.status_code == 202
    assert await outbox(app) == []
    assert smtp_server.inbox.messages == []


async def test_the_whole_journey_register_verify_forget_reset(client, smtp_server, accounts):
    await register(client)
    await client.post("/auth/verify", json={"token": token_from(smtp_server, "ada@example.com", "verify")})

    assert (await client.post("/auth/forgot-password", json={"email": "ada@example.com"})).status_code == 202
    token = token_from(smtp_server, "ada@example.com", "reset-password")
    reset = await client.post("/auth/reset-password", json={"token": token, "password": NEW_PASSWORD})
    again = await client.post("/auth/reset-password", json={"token": token, "password": "yet-another-password"})

    assert reset.status_code == 200
    assert again.status_code == 400
    assert await accounts.login("ada@example.com", NEW_PASSWORD)


async def test_a_reset_token_dies_when_the_password_changes(app, client, smtp_server, user, admin):
    await client.post("/auth/forgot-password", json={"email": user.email})
    token = token_from(smtp_server, user.email, "reset-password")
    changed = await client.patch(
        f"/admin/users/{user.id}", json={"password": "set-by-an-admin-now"}, headers=admin.headers
    )

    response = await client.post("/auth/reset-password", json={"token": token, "password": NEW_PASSWORD})

    assert changed.status_code == 200
    assert response.status_code == 400
    assert response.json()["detail"] == "RESET_PASSWORD_BAD_TOKEN"


@pytest.mark.parametrize("settings_overrides", [{"reset_password_token_ttl_seconds": 600}], indirect=True)
async def test_a_reset_token_lives_for_the_configured_ttl(client, smtp_server, user, settings_overrides):
    await client.post("/auth/forgot-password", json={"email": user.email})
    claims = jwt.decode(token_from(smtp_server, user.email, "reset-password"), options={"verify_signature": False})

    assert 590 <= claims["exp"] - time.time() <= 600


async def test_an_expired_reset_token_is_refused(client, smtp_server, user):
    await client.post("/auth/forgot-password", json={"email": user.email})
    claims = jwt.decode(token_from(smtp_server, user.email, "reset-password"), options={"verify_signature": False})
    secret = derive_secret(TEST_SECRET, SecretPurpose.RESET_PASSWORD_TOKEN)
    expired = jwt.encode({**claims, "exp": int(time.time()) - 1}, secret, algorithm="HS256")

    response = await client.post("/auth/reset-password", json={"token": expired, "password": NEW_PASSWORD})

    assert response.status_code == 400
    assert response.json()["detail"] == "RESET_PASSWORD_BAD_TOKEN"
