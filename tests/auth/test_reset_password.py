"""Password reset: /auth/forgot-password and /auth/reset-password."""

from __future__ import annotations

NEW_PASSWORD = "a-brand-new-password"


async def request_reset(client, notifier, email: str) -> str:
    response = await client.post("/auth/forgot-password", json={"email": email})
    assert response.status_code == 202
    return notifier.reset_tokens[email]


async def test_forgot_password_for_an_unknown_email_answers_202_and_sends_nothing(client, notifier):
    response = await client.post("/auth/forgot-password", json={"email": "nobody@example.com"})

    assert response.status_code == 202
    assert notifier.reset_tokens == {}


async def test_reset_password_sets_the_new_password(client, user, notifier, accounts):
    token = await request_reset(client, notifier, user.email)

    response = await client.post("/auth/reset-password", json={"token": token, "password": NEW_PASSWORD})

    assert response.status_code == 200
    assert await accounts.login(user.email, NEW_PASSWORD)


async def test_reset_password_makes_the_old_password_stop_working(client, user, notifier):
    token = await request_reset(client, notifier, user.email)
    await client.post("/auth/reset-password", json={"token": token, "password": NEW_PASSWORD})

    response = await client.post("/auth/jwt/login", data={"username": user.email, "password": user.password})

    assert response.status_code == 400


async def test_reset_password_token_works_only_once(client, user, notifier):
    token = await request_reset(client, notifier, user.email)
    await client.post("/auth/reset-password", json={"token": token, "password": NEW_PASSWORD})

    response = await client.post("/auth/reset-password", json={"token": token, "password": "yet-another-password"})

    assert response.status_code == 400
    assert response.json()["detail"] == "RESET_PASSWORD_BAD_TOKEN"


async def test_reset_password_with_an_access_token_is_refused(client, user):
    response = await client.post("/auth/reset-password", json={"token": user.token, "password": NEW_PASSWORD})

    assert response.status_code == 400
    assert response.json()["detail"] == "RESET_PASSWORD_BAD_TOKEN"


async def test_reset_password_applies_the_password_policy(client, user, notifier):
    token = await request_reset(client, notifier, user.email)

    response = await client.post("/auth/reset-password", json={"token": token, "password": "short"})

    assert response.status_code == 400
    assert response.json()["detail"]["code"] == "RESET_PASSWORD_INVALID_PASSWORD"
