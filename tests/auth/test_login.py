"""POST /auth/jwt/login: the OAuth2 password grant."""

from __future__ import annotations

from tests.factories import DEFAULT_PASSWORD

BAD_CREDENTIALS = {"detail": "LOGIN_BAD_CREDENTIALS", "error": "invalid_grant"}


async def test_login_answers_a_bearer_token_with_its_lifetime(client, user, settings):
    response = await client.post("/auth/jwt/login", data={"username": user.email, "password": user.password})

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "refresh_token"}
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == settings.access_token_ttl_seconds
    assert body["access_token"]


async def test_login_answer_must_not_be_cached(client, user):
    response = await client.post("/auth/jwt/login", data={"username": user.email, "password": user.password})

    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]


async def test_login_accepts_grant_type_password(client, user):
    response = await client.post(
        "/auth/jwt/login", data={"grant_type": "password", "username": user.email, "password": user.password}
    )

    assert response.status_code == 200


async def test_login_refuses_another_grant_type(client, user):
    response = await client.post(
        "/auth/jwt/login",
        data={"grant_type": "client_credentials", "username": user.email, "password": user.password},
    )

    assert response.status_code == 422


async def test_login_token_opens_a_protected_route(client, user):
    response = await client.post("/auth/jwt/login", data={"username": user.email, "password": user.password})
    token = response.json()["access_token"]

    me = await client.get("/users/me", headers={"Authorization": f"Bearer {token}"})

    assert me.status_code == 200
    assert me.json()["id"] == str(user.id)


async def test_login_email_is_case_insensitive(client, user):
    response = await client.post("/auth/jwt/login", data={"username": user.email.upper(), "password": user.password})

    assert response.status_code == 200


async def test_login_with_wrong_password_is_invalid_grant(client, user):
    response = await client.post("/auth/jwt/login", data={"username": user.email, "password": "not-the-password!"})

    assert response.status_code == 400
    assert response.json().items() >= BAD_CREDENTIALS.items()


async def test_login_with_unknown_email_is_invalid_grant(client):
    response = await client.post(
        "/auth/jwt/login", data={"username": "nobody@example.com", "password": DEFAULT_PASSWORD}
    )

    assert response.status_code == 400
    assert response.json().items() >= BAD_CREDENTIALS.items()


async def test_login_of_inactive_user_is_invalid_grant_even_with_the_right_password(client, accounts):
    account = await accounts.create(login=False)
    await accounts.update(account, is_active=False)

    response = await client.post("/auth/jwt/login", data={"username": account.email, "password": account.password})

    assert response.status_code == 400
    assert response.json().items() >= BAD_CREDENTIALS.items()


async def test_login_failure_answers_are_identical_for_unknown_email_and_wrong_password(client, user):
    wrong_password = await client.post("/auth/jwt/login", data={"username": user.email, "password": "wrong-password!"})
    unknown_email = await client.post(
        "/auth/jwt/login", data={"username": "nobody@example.com", "password": "wrong-password!"}
    )

    assert wrong_password.status_code == unknown_email.status_code == 400
    assert wrong_password.json() == unknown_email.json()


async def test_login_with_unknown_email_costs_one_password_verification(client, hash_spy):
    # The first such login of a fresh service: the dummy hash it verifies against is made at start-up.
    await client.post("/auth/jwt/login", data={"username": "nobody@example.com", "password": DEFAULT_PASSWORD})

    assert hash_spy.count("verify_and_update") == 1
    assert hash_spy.count("hash") == 0


async def test_login_with_wrong_password_costs_one_password_verification(client, user, hash_spy):
    hash_spy.reset()

    await client.post("/auth/jwt/login", data={"username": user.email, "password": "not-the-password!"})

    assert hash_spy.count("verify_and_update") == 1


async def test_login_without_username_is_a_validation_error(client):
    response = await client.post("/auth/jwt/login", data={"password": DEFAULT_PASSWORD})

    assert response.status_code == 422


async def test_each_login_issues_a_distinct_token(client, user, accounts):
    first = await accounts.login(user.email, user.password)
    second = await accounts.login(user.email, user.password)

    assert first != second


async def test_login_accepts_the_form_swagger_ui_sends(client, user):
    form = {"grant_type": "password", "username": user.email, "password": user.password, "scope": "", "client_id": ""}

    response = await client.post("/auth/jwt/login", data=form)

    assert response.status_code == 200
