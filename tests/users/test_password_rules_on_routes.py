"""The common-password list and the context rule on every route that sets a password: registration,
PATCH /users/me, the reset, and an admin's POST /admin/users and PATCH /admin/users/{id}. Each
refusal is a 400 with the route's own invalid-password code and the rule's `reason`, and changes
nothing."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx
import pytest

from tests.factories import DEFAULT_PASSWORD, Account, Accounts, CapturingMail

COMMON = "Password1234"  # on the shipped list, in another case
LOCAL_PART = "alexandra2024!!!!"  # alexandra@example.com's local part, give or take digits and symbols
PRODUCT = "Gatehouse-1234"
ALLOWED = "Carol-new-password-77"  # for carol@example.com: holds the local part, is not it


@dataclass
class Scene:
    client: httpx.AsyncClient
    accounts: Accounts
    admin: Account
    notifier: CapturingMail


@dataclass(frozen=True)
class Route:
    """A route that sets `password` for the account with `email`; `code` is its refusal's code."""

    name: str
    code: str
    creates: bool  # the account does not exist before
    gatehouse_body: bool  # Gatehouse's own route: the body has `message` too
    call: Callable[[Scene, str, str], Awaitable[httpx.Response]]


async def register(scene: Scene, email: str, password: str) -> httpx.Response:
    return await scene.client.post("/auth/register", json={"email": email, "password": password})


async def change_own(scene: Scene, email: str, password: str) -> httpx.Response:
    account = await scene.accounts.create(email=email)
    body = {"password": password, "current_password": account.password}
    return await scene.client.patch("/users/me", json=body, headers=account.headers)


async def reset(scene: Scene, email: str, password: str) -> httpx.Response:
    await scene.accounts.create(email=email, login=False)
    assert (await scene.client.post("/auth/forgot-password", json={"email": email})).status_code == 202
    token = scene.notifier.reset_tokens[email]
    return await scene.client.post("/auth/reset-password", json={"token": token, "password": password})


async def admin_create(scene: Scene, email: str, password: str) -> httpx.Response:
    body = {"email": email, "password": password}
    return await scene.client.post("/admin/users", json=body, headers=scene.admin.headers)


async def admin_change(scene: Scene, email: str, password: str) -> httpx.Response:
    account = await scene.accounts.create(email=email, login=False)
    body = {"password": password}
    return await scene.client.patch(f"/admin/users/{account.id}", json=body, headers=scene.admin.headers)


ROUTES = [
    Route("POST /auth/register", "REGISTER_INVALID_PASSWORD", True, False, register),
    Route("PATCH /users/me", "UPDATE_USER_INVALID_PASSWORD", False, True, change_own),
    Route("POST /auth/reset-password", "RESET_PASSWORD_INVALID_PASSWORD", False, False, reset),
    Route("POST /admin/users", "REGISTER_INVALID_PASSWORD", True, True, admin_create),
    Route("PATCH /admin/users/{id}", "UPDATE_USER_INVALID_PASSWORD", False, True, admin_change),
]
REFUSALS = [
    pytest.param("alexandra@example.com", COMMON, "PASSWORD_TOO_COMMON", id="common"),
    pytest.param("alexandra@example.com", LOCAL_PART, "PASSWORD_CONTAINS_CONTEXT", id="local-part"),
    pytest.param("alexandra@example.com", "Alexandra@Example.com", "PASSWORD_CONTAINS_CONTEXT", id="email"),
    pytest.param("alexandra@example.com", PRODUCT, "PASSWORD_CONTAINS_CONTEXT", id="product"),
]


@pytest.fixture
def scene(client, accounts, admin, notifier) -> Scene:
    return Scene(client=client, accounts=accounts, admin=admin, notifier=notifier)


async def logs_in(client: httpx.AsyncClient, email: str, password: str) -> bool:
    answer = await client.post("/auth/jwt/login", data={"username": email, "password": password})
    return answer.status_code == 200


@pytest.mark.parametrize("route", ROUTES, ids=lambda route: route.name)
@pytest.mark.parametrize(("email", "password", "reason"), REFUSALS)
async def test_the_route_refuses_the_password_with_its_code_and_the_reason(scene, route, email, password, reason):
    response = await route.call(scene, email, password)

    assert response.status_code == 400, response.text
    body = response.json()
    assert body["detail"] == {"code": route.code, "reason": reason}
    if route.gatehouse_body:
        assert body["message"] and body["message"] != reason  # the sentence for people
    assert not await logs_in(scene.client, email, password)
    if route.creates:
        assert not await logs_in(scene.client, email, DEFAULT_PASSWORD)  # no account was made
    else:
        assert await logs_in(scene.client, email, DEFAULT_PASSWORD)  # the old password still works


@pytest.mark.parametrize("route", ROUTES, ids=lambda route: route.name)
async def test_the_route_accepts_a_password_that_merely_contains_the_local_part(scene, route):
    response = await route.call(scene, "carol@example.com", ALLOWED)

    assert response.status_code in (200, 201), response.text
    assert await logs_in(scene.client, "carol@example.com", ALLOWED)


async def test_an_admin_changing_email_and_password_at_once_is_judged_on_the_new_email(client, admin, user):
    body = {"email": "alexandra@example.com", "password": LOCAL_PART}

    response = await client.patch(f"/admin/users/{user.id}", json=body, headers=admin.headers)

    assert response.status_code == 400
    assert response.json()["detail"] == {"code": "UPDATE_USER_INVALID_PASSWORD", "reason": "PASSWORD_CONTAINS_CONTEXT"}
    assert await logs_in(client, user.email, user.password)


@pytest.mark.parametrize("settings_overrides", [{"password_min_length": 15}])
async def test_password_min_length_applies_on_every_route(scene, settings_overrides):
    fourteen = "fourteen-chars"
    for index, route in enumerate(ROUTES):
        response = await route.call(scene, f"dana-{index}@example.com", fourteen)
        assert response.status_code == 400, route.name
        assert response.json()["detail"]["code"] == route.code
        assert "at least 15" in response.json()["detail"]["reason"], route.name
    response = await register(scene, "erin@example.com", "fifteen-letters")
    assert response.status_code == 201
