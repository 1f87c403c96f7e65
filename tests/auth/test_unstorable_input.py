"""Text no database can store or no hash can read (lone surrogates, NUL, control characters) is a
4xx on every route that takes it, never a 500; emails compare in NFC, passwords hash in NFKC."""

from __future__ import annotations

import json
import unicodedata
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from app.lockout.models import LoginLockout
from app.users.models import User
from tests.factories import DEFAULT_PASSWORD

SURROGATE = "a-long-enough-password-\ud800"


async def send_json(
    client: httpx.AsyncClient, method: str, url: str, body: Any, headers: dict[str, str] | None = None
) -> httpx.Response:
    """JSON as a client writes it: a lone surrogate travels as the escape `\\ud800` (httpx
    itself would refuse to encode it)."""
    return await client.request(
        method, url, content=json.dumps(body), headers={"Content-Type": "application/json", **(headers or {})}
    )


async def test_registration_refuses_a_password_with_a_lone_surrogate(client):
    response = await send_json(client, "POST", "/auth/register", {"email": "s@example.com", "password": SURROGATE})
    assert response.status_code == 400
    assert response.json()["detail"]["code"] == "REGISTER_INVALID_PASSWORD"


@pytest.mark.parametrize(
    "password", ["a-long-enough-\x00-password", "a-long-enough\tpassword", "long-enough\npassword"]
)
async def test_registration_refuses_a_password_with_control_characters(client, password):
    response = await client.post("/auth/register", json={"email": "c@example.com", "password": password})
    assert response.status_code == 400
    assert response.json()["detail"]["code"] == "REGISTER_INVALID_PASSWORD"


async def test_a_password_change_refuses_a_lone_surrogate(client, user):
    change = {"password": SURROGATE, "current_password": user.password}
    response = await send_json(client, "PATCH", "/users/me", change, user.headers)
    assert response.status_code == 400
    assert response.json()["detail"]["code"] == "UPDATE_USER_INVALID_PASSWORD"


async def test_a_lone_surrogate_as_the_current_password_is_refused(client, user):
    change = {"password": "a-brand-new-password", "current_password": SURROGATE}
    response = await send_json(client, "PATCH", "/users/me", change, user.headers)
    assert response.status_code == 400
    assert response.json()["detail"] == "CURRENT_PASSWORD_INVALID"


async def test_admin_creation_refuses_a_lone_surrogate(client, admin):
    response = await send_json(
        client, "POST", "/admin/users", {"email": "n@example.com", "password": SURROGATE}, admin.headers
    )
    assert response.status_code == 400
    assert response.json()["detail"]["code"] == "REGISTER_INVALID_PASSWORD"


@pytest.mark.parametrize(
    "form",
    [
        "username={email}&password=a-long-enough-%00-password",  # NUL
        "username={email}&password=%ED%A0%80-not-utf-8",  # the UTF-8 bytes of a lone surrogate
        "username=x%00y%40example.com&password=a-long-enough-password",
    ],
)
async def test_login_with_unstorable_text_is_a_bad_login(client, user, form):
    response = await client.post(
        "/auth/jwt/login",
        content=form.format(email=user.email.replace("@", "%40")),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 400
    assert response.json()["detail"] == "LOGIN_BAD_CREDENTIALS"


async def test_a_reset_token_with_a_lone_surrogate_is_a_bad_token(client):
    response = await send_json(
        client, "POST", "/auth/reset-password", {"token": "abc\ud800", "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 400
    assert response.json()["detail"] == "RESET_PASSWORD_BAD_TOKEN"


async def test_a_verify_token_with_a_lone_surrogate_is_a_bad_token(client):
    response = await send_json(client, "POST", "/auth/verify", {"token": "abc\ud800"})
    assert response.status_code == 400
    assert response.json()["detail"] == "VERIFY_USER_BAD_TOKEN"


async def test_an_item_title_with_a_lone_surrogate_is_refused(client, user):
    response = await send_json(client, "POST", "/items", {"title": "bad \ud800"}, user.headers)
    assert response.status_code == 422


async def test_an_email_registered_composed_logs_in_decomposed(client, accounts):
    composed = "jos\u00e9@example.com"
    assert (
        await client.post("/auth/register", json={"email": composed, "password": DEFAULT_PASSWORD})
    ).status_code == 201

    token = await accounts.login(unicodedata.normalize("NFD", composed).upper(), DEFAULT_PASSWORD)

    assert token


async def test_the_decomposed_spelling_of_a_registered_email_is_taken(client):
    composed = "ren\u00e9e@example.com"
    await client.post("/auth/register", json={"email": composed, "password": DEFAULT_PASSWORD})
    again = await client.post(
        "/auth/register", json={"email": unicodedata.normalize("NFD", composed), "password": DEFAULT_PASSWORD}
    )
    assert again.status_code == 400
    assert again.json()["detail"] == "REGISTER_USER_ALREADY_EXISTS"


async def test_failures_of_both_spellings_count_on_one_lockout_streak(app, client, user):
    composed = "zo\u00eb@example.com"
    for spelling in (composed, unicodedata.normalize("NFD", composed)):
        await client.post("/auth/jwt/login", data={"username": spelling, "password": "wrong-password-here"})
    async with app.state.services.database.sessionmaker() as db:
        streaks = (await db.scalars(select(LoginLockout))).all()
    assert [streak.failed_count for streak in streaks] == [2]


async def test_a_password_logs_in_in_any_equivalent_unicode_form(client, accounts):
    ligature = "the-\ufb01rst-password"  # NFKC: "the-first-password"
    await client.post("/auth/register", json={"email": "lig@example.com", "password": ligature})

    assert await accounts.login("lig@example.com", "the-first-password")
    assert await accounts.login("lig@example.com", ligature)


async def test_a_hash_made_before_normalisation_still_verifies_and_is_replaced(app, client, accounts):
    raw = "the-\ufb01rst-password"
    created = await accounts.create(email="old@example.com", login=False)
    passwords = app.state.services.passwords
    async with app.state.services.database.sessionmaker() as db:
        row = await db.get(User, created.id)
        assert row is not None
        # What the service stored before it normalised passwords: the hash of the raw form.
        row.hashed_password = await passwords._in_pool(passwords.hash, raw)
        old_hash = row.hashed_password
        await db.commit()

    assert await accounts.login("old@example.com", raw)

    async with app.state.services.database.sessionmaker() as db:
        row = await db.get(User, created.id)
        assert row is not None and row.hashed_password != old_hash
    assert await accounts.login("old@example.com", "the-first-password")
