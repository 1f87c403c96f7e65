"""Email verification: /auth/request-verify-token and /auth/verify."""

from __future__ import annotations


async def register_and_request_token(client, notifier, email: str = "new@example.com") -> str:
    registered = await client.post("/auth/register", json={"email": email, "password": "x" * 16})
    assert registered.status_code == 201
    requested = await client.post("/auth/request-verify-token", json={"email": email})
    assert requested.status_code == 202
    return notifier.verify_tokens[email]


async def test_verify_with_the_sent_token_marks_the_user_verified(client, notifier):
    token = await register_and_request_token(client, notifier)

    response = await client.post("/auth/verify", json={"token": token})

    assert response.status_code == 200
    assert response.json()["is_verified"] is True


async def test_verify_refuses_an_access_token(client, user):
    response = await client.post("/auth/verify", json={"token": user.token})

    assert response.status_code == 400
    assert response.json()["detail"] == "VERIFY_USER_BAD_TOKEN"


async def test_verify_refuses_a_reset_password_token(client, notifier):
    await register_and_request_token(client, notifier)
    await client.post("/auth/forgot-password", json={"email": "new@example.com"})

    response = await client.post("/auth/verify", json={"token": notifier.reset_tokens["new@example.com"]})

    assert response.status_code == 400
    assert response.json()["detail"] == "VERIFY_USER_BAD_TOKEN"
