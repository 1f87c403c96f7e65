"""POST /auth/register: self-registration."""

from __future__ import annotations

import asyncio
import uuid

from app.core.roles import Role
from app.users.models import User
from tests.factories import DEFAULT_PASSWORD


async def register(client, email: str, password: str = DEFAULT_PASSWORD, **extra: object):
    return await client.post("/auth/register", json={"email": email, "password": password, **extra})


async def stored_user(app, user_id: str) -> User:
    async with app.state.services.database.sessionmaker() as session:
        user = await session.get(User, uuid.UUID(user_id))
        assert user is not None
        return user


async def test_register_answers_201_with_the_new_user(client):
    response = await register(client, "alice@example.com")

    assert response.status_code == 201
    body = response.json()
    assert {"id", "email", "role", "is_active", "is_verified"} <= set(body)
    assert body["email"] == "alice@example.com"
    assert body["role"] == "user"
    assert body["is_active"] is True
    assert body["is_verified"] is False


async def test_register_never_returns_the_password_or_its_hash(client):
    response = await register(client, "alice@example.com")

    assert "password" not in response.text
    assert "hashed_password" not in response.json()


async def test_registered_user_can_log_in(client, accounts):
    await register(client, "alice@example.com")

    assert await accounts.login("alice@example.com", DEFAULT_PASSWORD)


async def test_register_ignores_privileged_fields_in_the_body(client, app):
    response = await register(
        client, "mallory@example.com", role="admin", is_superuser=True, is_active=False, is_verified=True
    )

    assert response.status_code == 201
    body = response.json()
    assert body["role"] == "user"
    assert body["is_active"] is True
    assert body["is_verified"] is False
    stored = await stored_user(app, body["id"])
    assert stored.role is Role.USER
    assert stored.is_superuser is False


async def test_register_with_privileged_fields_grants_no_admin_access(client, accounts):
    await register(client, "mallory@example.com", role="admin", is_superuser=True)
    token = await accounts.login("mallory@example.com", DEFAULT_PASSWORD)

    response = await client.get("/admin/users", headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 403


async def test_register_stores_the_email_lower_cased(client):
    response = await register(client, "Alice@Example.COM")

    assert response.status_code == 201
    assert response.json()["email"] == "alice@example.com"


async def test_register_same_email_twice_is_refused(client):
    await register(client, "alice@example.com")

    response = await register(client, "alice@example.com")

    assert response.status_code == 400
    assert response.json()["detail"] == "REGISTER_USER_ALREADY_EXISTS"


async def test_register_email_uniqueness_ignores_case(client):
    await register(client, "alice@example.com")

    response = await register(client, "ALICE@example.com")

    assert response.status_code == 400
    assert response.json()["detail"] == "REGISTER_USER_ALREADY_EXISTS"


async def test_register_password_shorter_than_12_characters_is_refused_with_a_reason(client):
    response = await register(client, "alice@example.com", password="x" * 11)

    assert response.status_code == 400
    detail = response.json()["detail"]
    assert detail["code"] == "REGISTER_INVALID_PASSWORD"
    assert "12" in detail["reason"]


async def test_register_password_of_exactly_12_characters_is_accepted(client):
    response = await register(client, "alice@example.com", password="x" * 12)

    assert response.status_code == 201


async def test_register_password_longer_than_256_characters_is_refused_with_a_reason(client):
    response = await register(client, "alice@example.com", password="x" * 257)

    assert response.status_code == 400
    detail = response.json()["detail"]
    assert detail["code"] == "REGISTER_INVALID_PASSWORD"
    assert "256" in detail["reason"]


async def test_register_password_of_exactly_256_characters_is_accepted(client):
    response = await register(client, "alice@example.com", password="x" * 256)

    assert response.status_code == 201


async def test_register_password_equal_to_the_email_is_refused_with_a_reason(client):
    response = await register(client, "someone.long@example.com", password="Someone.Long@example.com")

    assert response.status_code == 400
    detail = response.json()["detail"]
    assert detail == {"code": "REGISTER_INVALID_PASSWORD", "reason": "PASSWORD_CONTAINS_CONTEXT"}


async def test_register_with_an_invalid_email_is_a_validation_error(client):
    response = await register(client, "not-an-email")

    assert response.status_code == 422


async def test_concurrent_registrations_of_one_email_create_exactly_one_account(client, app):
    responses = await asyncio.gather(*(register(client, "race@example.com") for _ in range(10)))

    statuses = sorted(response.status_code for response in responses)
    assert statuses == [201] + [400] * 9, [response.text for response in responses]
    assert all(r.json()["detail"] == "REGISTER_USER_ALREADY_EXISTS" for r in responses if r.status_code == 400)


async def test_concurrent_registrations_with_different_case_create_exactly_one_account(client):
    emails = ["race@example.com", "RACE@example.com", "Race@Example.com", "race@EXAMPLE.COM"]

    responses = await asyncio.gather(*(register(client, email) for email in emails))

    assert sorted(response.status_code for response in responses) == [201, 400, 400, 400]


async def test_register_with_an_empty_password_is_refused_with_a_reason(client):
    response = await register(client, "alice@example.com", password="")

    assert response.status_code == 400
    assert response.json()["detail"]["code"] == "REGISTER_INVALID_PASSWORD"


async def test_register_with_a_very_long_password_is_refused_with_a_reason(client):
    response = await register(client, "alice@example.com", password="x" * 5000)

    assert response.status_code == 400
    detail = response.json()["detail"]
    assert detail["code"] == "REGISTER_INVALID_PASSWORD"
    assert "256" in detail["reason"]
