"""GET and PATCH /users/me: the caller's own account."""

from __future__ import annotations

import asyncio

import pytest

from app.core.roles import Role
from app.users.models import User

NEW_PASSWORD = "a-brand-new-password"


async def stored(app, account) -> User:
    async with app.state.services.database.sessionmaker() as session:
        user = await session.get(User, account.id)
        assert user is not None
        return user


async def test_me_returns_the_caller(client, user):
    response = await client.get("/users/me", headers=user.headers)

    assert response.status_code == 200
    body = response.json()
    assert body["id"] == str(user.id)
    assert body["email"] == user.email
    assert body["role"] == "user"
    assert body["is_active"] is True
    assert "hashed_password" not in body


@pytest.mark.parametrize("role", list(Role))
async def test_me_reports_the_callers_role(client, accounts, role):
    account = await accounts.create(role=role)

    response = await client.get("/users/me", headers=account.headers)

    assert response.json()["role"] == role.value


def with_current(account, **changes: object) -> dict[str, object]:
    return {**changes, "current_password": account.password}


async def confirm(client, notifier, address: str):
    return await client.post("/auth/confirm-email-change", json={"token": notifier.email_change_tokens[address]})


async def test_patch_me_email_waits_for_the_confirmation(client, user):
    change = with_current(user, email="New.Address@Example.com")

    response = await client.patch("/users/me", json=change, headers=user.headers)

    assert response.status_code == 200
    assert response.json()["email"] == user.email
    assert response.json()["pending_email"] == "new.address@example.com"
    assert (await client.get("/users/me", headers=user.headers)).json()["email"] == user.email


async def test_patch_me_email_applies_once_confirmed_and_is_verified(client, app, user, notifier):
    await client.patch("/users/me", json=with_current(user, email="new.address@example.com"), headers=user.headers)

    response = await confirm(client, notifier, "new.address@example.com")

    assert response.status_code == 200
    assert response.json()["email"] == "new.address@example.com"
    assert response.json()["is_verified"] is True
    assert (await stored(app, user)).email == "new.address@example.com"


async def test_patch_me_email_change_allows_login_with_the_new_email(client, user, accounts, notifier):
    await client.patch("/users/me", json=with_current(user, email="new.address@example.com"), headers=user.headers)
    await confirm(client, notifier, "new.address@example.com")

    assert await accounts.login("new.address@example.com", user.password)


async def test_patch_me_email_without_the_current_password_is_refused(client, user):
    response = await client.patch("/users/me", json={"email": "new.address@example.com"}, headers=user.headers)

    assert response.status_code == 400
    assert response.json()["detail"] == "CURRENT_PASSWORD_INVALID"


async def test_patch_me_to_an_email_already_taken_is_refused(client, user, accounts):
    other = await accounts.create(login=False)

    response = await client.patch("/users/me", json=with_current(user, email=other.email.upper()), headers=user.headers)

    assert response.status_code == 400
    assert response.json()["detail"] == "UPDATE_USER_EMAIL_ALREADY_EXISTS"


async def test_patch_me_to_the_same_email_changes_nothing(client, user):
    response = await client.patch("/users/me", json={"email": user.email}, headers=user.headers)

    assert response.status_code == 200
    assert response.json()["email"] == user.email
    assert response.json()["pending_email"] is None


async def test_patch_me_password_makes_the_new_password_work(client, user, accounts):
    response = await client.patch("/users/me", json=with_current(user, password=NEW_PASSWORD), headers=user.headers)

    assert response.status_code == 200
    assert await accounts.login(user.email, NEW_PASSWORD)


async def test_patch_me_password_makes_the_old_password_stop_working(client, user):
    await client.patch("/users/me", json=with_current(user, password=NEW_PASSWORD), headers=user.headers)

    response = await client.post("/auth/jwt/login", data={"username": user.email, "password": user.password})

    assert response.status_code == 400


async def test_patch_me_with_a_short_password_is_refused_with_a_reason(client, user):
    response = await client.patch("/users/me", json=with_current(user, password="short"), headers=user.headers)

    assert response.status_code == 400
    detail = response.json()["detail"]
    assert detail["code"] == "UPDATE_USER_INVALID_PASSWORD"
    assert "12" in detail["reason"]


async def test_patch_me_with_the_email_as_password_is_refused(client, user):
    response = await client.patch("/users/me", json=with_current(user, password=user.email), headers=user.headers)

    assert response.status_code == 400
    assert response.json()["detail"]["code"] == "UPDATE_USER_INVALID_PASSWORD"


async def test_patch_me_ignores_privileged_fields(client, app, user):
    response = await client.patch(
        "/users/me",
        json={"role": "admin", "is_active": False, "is_superuser": True, "is_verified": False},
        headers=user.headers,
    )

    assert response.status_code == 200
    row = await stored(app, user)
    assert row.role is Role.USER
    assert row.is_active is True
    assert row.is_superuser is False
    assert row.is_verified is True


async def test_patch_me_with_privileged_fields_grants_no_admin_access(client, user):
    await client.patch("/users/me", json={"role": "admin", "is_superuser": True}, headers=user.headers)

    response = await client.get("/admin/users", headers=user.headers)

    assert response.status_code == 403


async def test_guest_may_change_own_password(client, guest, accounts):
    response = await client.patch("/users/me", json=with_current(guest, password=NEW_PASSWORD), headers=guest.headers)

    assert response.status_code == 200
    assert await accounts.login(guest.email, NEW_PASSWORD)


async def test_two_users_confirming_the_same_new_email_at_once_never_fail_with_500(client, accounts, notifier):
    first, second = await accounts.create(), await accounts.create()
    tokens = []
    for account in (first, second):
        change = with_current(account, email="wanted@example.com")
        assert (await client.patch("/users/me", json=change, headers=account.headers)).status_code == 200
        tokens.append(notifier.email_change_tokens["wanted@example.com"])

    responses = await asyncio.gather(
        *(client.post("/auth/confirm-email-change", json={"token": token}) for token in tokens)
    )

    assert sorted(response.status_code for response in responses) == [200, 400]
    refused = next(response for response in responses if response.status_code == 400)
    assert refused.json()["detail"] == "UPDATE_USER_EMAIL_ALREADY_EXISTS"
