"""Per-client limits on login, registration and the account-recovery routes."""

import time

import pytest

from tests.factories import DEFAULT_PASSWORD

LIMITS = {"login_rate_limit": "5/minute", "register_rate_limit": "3/hour", "recovery_rate_limit": "2/hour"}
WRONG_LOGIN = {"username": "nobody@example.com", "password": "not-the-password"}


@pytest.fixture
def settings_overrides():
    return dict(LIMITS)


async def login(client, headers=None, data=None):
    return await client.post("/auth/jwt/login", data=data or WRONG_LOGIN, headers=headers or {})


async def test_allowed_requests_carry_the_limit_and_what_remains(client):
    for remaining in (4, 3, 2, 1, 0):
        response = await login(client)
        assert response.status_code == 400
        assert response.headers["X-RateLimit-Limit"] == "5"
        assert response.headers["X-RateLimit-Remaining"] == str(remaining)
        assert time.time() < int(response.headers["X-RateLimit-Reset"]) <= time.time() + 61
        assert "Retry-After" not in response.headers


async def test_a_successful_login_counts_and_carries_the_headers(client, accounts):
    account = await accounts.create(login=False)
    response = await login(client, data={"username": account.email, "password": account.password})
    assert response.status_code == 200
    assert response.headers["X-RateLimit-Remaining"] == "4"


async def test_over_the_limit_the_answer_is_429_with_retry_after(client):
    for _ in range(5):
        await login(client)
    response = await login(client)
    assert response.status_code == 429
    body = response.json()
    assert body["detail"] == "RATE_LIMITED"
    assert body["error"] == "rate_limited"
    assert 1 <= int(response.headers["Retry-After"]) <= 61
    assert response.headers["X-RateLimit-Remaining"] == "0"
    assert response.headers["X-RateLimit-Limit"] == "5"


async def test_over_the_limit_even_the_right_password_is_refused(client, accounts):
    account = await accounts.create(login=False)
    for _ in range(5):
        await login(client)
    response = await login(client, data={"username": account.email, "password": account.password})
    assert response.status_code == 429


async def test_a_refused_login_costs_no_password_verification(client, app, monkeypatch):
    for _ in range(5):
        await login(client)
    verifications = []
    monkeypatch.setattr(app.state.services.passwords, "verify_and_update", lambda *args: verifications.append(args))
    assert (await login(client)).status_code == 429
    assert verifications == []


async def test_refused_requests_do_not_prolong_the_wait(client):
    for _ in range(5):
        await login(client)
    first = await login(client)
    for _ in range(5):
        await login(client)
    last = await login(client)
    assert last.headers["X-RateLimit-Reset"] == first.headers["X-RateLimit-Reset"]


async def test_malformed_logins_count_too(client):
    for _ in range(5):
        assert (await client.post("/auth/jwt/login", data={})).status_code == 422
    assert (await login(client)).status_code == 429


@pytest.mark.parametrize(
    ("path", "limit", "body"),
    [
        ("/auth/register", 3, lambda i: {"email": f"new-{i}@example.com", "password": DEFAULT_PASSWORD}),
        ("/auth/forgot-password", 2, lambda i: {"email": f"someone-{i}@example.com"}),
        ("/auth/request-verify-token", 2, lambda i: {"email": f"someone-{i}@example.com"}),
    ],
)
async def test_registration_and_recovery_routes_have_their_limits(client, path, limit, body):
    for i in range(limit):
        response = await client.post(path, json=body(i))
        assert response.status_code in (201, 202), response.text
        assert response.headers["X-RateLimit-Limit"] == str(limit)
        assert response.headers["X-RateLimit-Remaining"] == str(limit - i - 1)
    refused = await client.post(path, json=body(limit))
    assert refused.status_code == 429
    assert refused.json()["error"] == "rate_limited"
    assert int(refused.headers["Retry-After"]) >= 1


async def test_each_route_counts_on_its_own(client):
    for _ in range(5):
        await login(client)
    assert (await login(client)).status_code == 429
    response = await client.post("/auth/forgot-password", json={"email": "someone@example.com"})
    assert response.status_code == 202
    assert response.headers["X-RateLimit-Remaining"] == "1"


async def test_routes_without_a_limit_carry_no_rate_limit_headers(client):
    response = await client.post("/auth/reset-password", json={"token": "nope", "password": DEFAULT_PASSWORD})
    assert response.status_code == 400
    assert "X-RateLimit-Limit" not in response.headers
    assert "X-RateLimit-Limit" not in (await client.get("/health")).headers


async def test_other_clients_keep_their_own_allowance(client, client_at):
    for _ in range(5):
        await login(client)
    assert (await login(client)).status_code == 429
    other = client_at("198.51.100.20")
    response = await login(other)
    assert response.status_code == 400
    assert response.headers["X-RateLimit-Remaining"] == "4"


async def test_a_spoofed_forwarded_for_does_not_dodge_the_limit(client):
    for i in range(5):
        response = await login(client, headers={"X-Forwarded-For": f"192.0.2.{i}"})
        assert response.status_code == 400
    response = await login(client, headers={"X-Forwarded-For": "192.0.2.99"})
    assert response.status_code == 429


class TestBehindATrustedProxy:
    @pytest.fixture
    def settings_overrides(self):
        return {**LIMITS, "trusted_proxies": "10.0.0.0/8"}

    async def test_each_forwarded_client_is_counted_on_its_own(self, client_at):
        proxy = client_at("10.0.0.5")
        for _ in range(5):
            await login(proxy, headers={"X-Forwarded-For": "198.51.100.1"})
        assert (await login(proxy, headers={"X-Forwarded-For": "198.51.100.1"})).status_code == 429
        response = await login(proxy, headers={"X-Forwarded-For": "198.51.100.2"})
        assert response.status_code == 400
        assert response.headers["X-RateLimit-Remaining"] == "4"

    async def test_a_client_cannot_dodge_the_limit_through_the_proxy(self, client_at):
        proxy = client_at("10.0.0.5")
        for i in range(5):
            await login(proxy, headers={"X-Forwarded-For": f"192.0.2.{i}, 198.51.100.1"})
        response = await login(proxy, headers={"X-Forwarded-For": "192.0.2.99, 198.51.100.1"})
        assert response.status_code == 429

    async def test_forwarded_for_from_outside_the_trusted_proxies_is_ignored(self, client):
        for i in range(5):
            await login(client, headers={"X-Forwarded-For": f"198.51.100.{i}"})
        response = await login(client, headers={"X-Forwarded-For": "198.51.100.99"})
        assert response.status_code == 429


class TestInABrowser:
    @pytest.fixture
    def settings_overrides(self):
        return {**LIMITS, "cors_origins": "https://app.example.com"}

    async def test_cross_origin_pages_may_read_the_limit_headers(self, client):
        response = await login(client, headers={"Origin": "https://app.example.com"})
        exposed = {name.strip().lower() for name in response.headers["Access-Control-Expose-Headers"].split(",")}
        assert {"retry-after", "x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset"} <= exposed
