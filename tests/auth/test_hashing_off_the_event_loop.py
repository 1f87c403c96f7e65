"""Every route that hashes or verifies a password does it in the thread pool, never on the loop.

`hash_spy` wraps the PasswordHasher's passlib CryptContext, so it sees each real bcrypt run and
the thread it happened on. Each test also checks that at least one run happened, so a path that
hashed some other way (say, fastapi-users' own helper) would fail instead of passing silently.
"""

from __future__ import annotations

from tests.factories import DEFAULT_PASSWORD

NEW_PASSWORD = "a-brand-new-password"


async def test_register_hashes_off_the_event_loop(client, hash_spy):
    response = await client.post("/auth/register", json={"email": "new@example.com", "password": DEFAULT_PASSWORD})

    assert response.status_code == 201
    assert hash_spy.count("hash") == 1
    hash_spy.assert_all_off_the_event_loop()


async def test_login_with_the_right_password_verifies_off_the_event_loop(client, user, hash_spy):
    hash_spy.reset()

    response = await client.post("/auth/jwt/login", data={"username": user.email, "password": user.password})

    assert response.status_code == 200
    assert hash_spy.count("verify_and_update") == 1
    hash_spy.assert_all_off_the_event_loop()


async def test_login_with_a_wrong_password_verifies_off_the_event_loop(client, user, hash_spy):
    hash_spy.reset()

    response = await client.post("/auth/jwt/login", data={"username": user.email, "password": "wrong-password!"})

    assert response.status_code == 400
    hash_spy.assert_all_off_the_event_loop()


async def test_login_with_an_unknown_email_verifies_off_the_event_loop(client, hash_spy):
    response = await client.post("/auth/jwt/login", data={"username": "nobody@example.com", "password": "whatever1234"})

    assert response.status_code == 400
    assert hash_spy.count("verify_and_update") == 1
    hash_spy.assert_all_off_the_event_loop()


async def test_changing_own_password_hashes_off_the_event_loop(client, user, hash_spy):
    hash_spy.reset()

    response = await client.patch(
        "/users/me", json={"password": NEW_PASSWORD, "current_password": user.password}, headers=user.headers
    )

    assert response.status_code == 200
    assert hash_spy.count("hash") == 1
    hash_spy.assert_all_off_the_event_loop()


async def test_admin_creating_a_user_hashes_off_the_event_loop(client, admin, hash_spy):
    hash_spy.reset()

    response = await client.post(
        "/admin/users", json={"email": "new@example.com", "password": DEFAULT_PASSWORD}, headers=admin.headers
    )

    assert response.status_code == 201
    assert hash_spy.count("hash") == 1
    hash_spy.assert_all_off_the_event_loop()


async def test_admin_setting_a_password_hashes_off_the_event_loop(client, admin, accounts, hash_spy):
    target = await accounts.create(login=False)
    hash_spy.reset()

    response = await client.patch(f"/admin/users/{target.id}", json={"password": NEW_PASSWORD}, headers=admin.headers)

    assert response.status_code == 200
    assert hash_spy.count("hash") == 1
    hash_spy.assert_all_off_the_event_loop()


async def test_reset_password_hashes_off_the_event_loop(client, user, notifier, hash_spy):
    await client.post("/auth/forgot-password", json={"email": user.email})
    token = notifier.reset_tokens[user.email]
    hash_spy.reset()

    response = await client.post("/auth/reset-password", json={"token": token, "password": NEW_PASSWORD})

    assert response.status_code == 200
    assert hash_spy.count("hash") == 1
    hash_spy.assert_all_off_the_event_loop()


async def test_forgot_password_does_not_hash_on_the_event_loop(client, user, notifier, hash_spy):
    hash_spy.reset()

    response = await client.post("/auth/forgot-password", json={"email": user.email})

    assert response.status_code == 202
    assert user.email in notifier.reset_tokens
    # fastapi-users bcrypt-hashes the stored hash here, on the loop; any hashing must be off it.
    assert not [call for call in hash_spy.calls if call.loop_running or call.thread_id == hash_spy.loop_thread_id]
