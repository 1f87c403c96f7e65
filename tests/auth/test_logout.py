"""POST /auth/jwt/logout."""

from __future__ import annotations


async def test_logout_with_a_valid_token_answers_204(client, user):
    response = await client.post("/auth/jwt/logout", headers=user.headers)

    assert response.status_code == 204


async def test_logout_without_a_token_answers_401_with_bearer_challenge(client):
    response = await client.post("/auth/jwt/logout")

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
