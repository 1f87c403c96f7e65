"""A bearer token and an API key in one request, as /docs sends once both schemes are authorised.

The rule: both must authenticate; of one user, the access token is the caller; of two users, 400
AMBIGUOUS_CREDENTIALS.
"""

from __future__ import annotations


async def test_a_token_and_a_key_of_the_same_user_act_as_the_token(client, user, keys):
    issued = await keys.create(user, role="guest")
    both = {**user.headers, **issued.headers}

    me = await client.get("/users/me", headers=both)
    assert me.status_code == 200
    assert me.json()["id"] == str(user.id)
    # The token's role (user), not the key's cap (guest): guests may not create items.
    assert (await client.post("/items", json={"title": "t"}, headers=both)).status_code == 201
    assert (await client.post("/items", json={"title": "t"}, headers=issued.headers)).status_code == 403
    # A route that refuses API keys accepts the pair: the caller logged in.
    sessions = await client.get("/users/me/sessions", headers=both)
    assert sessions.status_code == 200
    assert any(session["current"] for session in sessions.json())


async def test_a_token_and_a_key_of_two_users_are_refused(client, user, accounts, keys):
    other = await accounts.create()
    issued = await keys.create(other)
    response = await client.get("/users/me", headers={**user.headers, **issued.headers})
    assert response.status_code == 400
    assert response.json()["detail"] == "AMBIGUOUS_CREDENTIALS"


async def test_an_invalid_token_beside_a_valid_key_is_refused(client, user, keys):
    issued = await keys.create(user)
    response = await client.get("/users/me", headers={"Authorization": "Bearer garbage", **issued.headers})
    assert response.status_code == 401
    assert response.json()["detail"] == "INVALID_TOKEN"


async def test_a_revoked_key_beside_a_valid_token_is_refused(client, user, keys):
    issued = await keys.create(user)
    assert (await client.delete(f"/api-keys/{issued.id}", headers=user.headers)).status_code == 204
    response = await client.get("/users/me", headers={**user.headers, **issued.headers})
    assert response.status_code == 401
    assert response.json()["detail"] == "API_KEY_REVOKED"


async def test_a_logged_out_token_beside_a_valid_key_is_refused(client, user, keys):
    issued = await keys.create(user)
    assert (await client.post("/auth/jwt/logout", headers=user.headers)).status_code == 204
    response = await client.get("/users/me", headers={**user.headers, **issued.headers})
    assert response.status_code == 401


async def test_the_docs_describe_the_rule(client):
    schema = (await client.get("/openapi.json")).json()
    description = schema["components"]["securitySchemes"]["APIKeyHeader"]["description"]
    assert "same user" in description and "AMBIGUOUS_CREDENTIALS" in description
