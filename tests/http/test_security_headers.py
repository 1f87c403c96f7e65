"""Security headers on every answer: routes, errors, refusals, 500s and the docs; CORS."""

from __future__ import annotations

import base64
import hashlib
import re

import httpx
import pytest
from asgi_lifespan import LifespanManager

from app.config import ConfigurationError, Settings
from app.http.security_headers import API_POLICY
from app.main import create_app
from tests.factories import TEST_SECRET

STATIC = {"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer"}


def assert_secured(response: httpx.Response, *, policy: str = API_POLICY) -> None:
    for name, value in STATIC.items():
        assert response.headers.get(name) == value, name
    assert response.headers["Content-Security-Policy"] == policy


def inline_script_hashes(page: str) -> list[str]:
    scripts = re.findall(r"<script>(.*?)</script>", page, re.DOTALL)
    return [f"'sha256-{base64.b64encode(hashlib.sha256(code.encode()).digest()).decode()}'" for code in scripts]


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/health", 200),
        ("GET", "/openapi.json", 200),
        ("GET", "/no-such-route", 404),
        ("DELETE", "/health", 405),
        ("GET", "/users/me", 401),
        ("POST", "/items", 401),
        ("GET", "/admin/users?limit=0", 401),
    ],
)
async def test_every_api_answer_carries_the_security_headers(client, method, path, status):
    response = await client.request(method, path)

    assert response.status_code == status
    assert_secured(response)


async def test_a_validation_error_carries_the_security_headers(client):
    response = await client.post("/auth/register", json={"email": "not an email"})

    assert response.status_code == 422
    assert_secured(response)


async def test_a_refused_body_carries_the_security_headers(client):
    response = await client.post("/auth/register", content=b"x" * (2 * 1024 * 1024))

    assert response.status_code == 413
    assert_secured(response)


async def test_refused_headers_carry_the_security_headers(client):
    response = await client.get("/health", headers=[(f"x-{number}", "v") for number in range(200)])

    assert response.status_code == 431
    assert_secured(response)


async def test_an_unhandled_error_answers_500_with_the_security_headers(app):
    async def boom() -> None:
        raise RuntimeError("a bug")

    app.add_api_route("/boom", boom)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await client.get("/boom")

    assert response.status_code == 500
    assert response.text == "Internal Server Error"
    assert_secured(response)


@pytest.mark.parametrize("path", ["/docs", "/redoc", "/docs/oauth2-redirect"])
async def test_the_docs_pages_may_run_their_own_inline_scripts_and_nothing_else_inline(client, path):
    response = await client.get(path)

    assert response.status_code == 200
    policy = dict(
        directive.strip().split(" ", 1) for directive in response.headers["Content-Security-Policy"].split(";")
    )
    assert policy["default-src"] == "'none'"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["script-src"].split() == ["'self'", *inline_script_hashes(response.text)]
    assert "'unsafe-inline'" not in policy["script-src"] and "'unsafe-eval'" not in policy["script-src"]
    assert response.headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize(
    "credentials",
    [{"Authorization": "Bearer not-a-token"}, {"X-API-Key": "gatehouse_not-a-key"}],
    ids=["authorization", "api key"],
)
async def test_an_answer_to_a_request_with_credentials_is_never_stored(client, credentials):
    response = await client.get("/items", headers=credentials)

    assert response.status_code == 401
    assert response.headers["Cache-Control"] == "no-store"


async def test_an_authenticated_answer_with_personal_data_is_never_stored(client, user):
    response = await client.get("/users/me", headers=user.headers)

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"


async def test_an_answer_carrying_tokens_is_never_stored(client, user):
    response = await client.post("/auth/jwt/login", data={"username": user.email, "password": user.password})

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"


async def test_there_is_no_hsts_by_default(client):
    response = await client.get("/health")

    assert "Strict-Transport-Security" not in response.headers


class TestHsts:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, object]:
        return {"hsts_seconds": 31_536_000}

    async def test_hsts_seconds_turns_on_strict_transport_security(self, client):
        response = await client.get("/no-such-route")

        assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_a_wildcard_origin_with_credentials_is_refused_at_start_up():
    with pytest.raises(ConfigurationError, match=r"CORS_ORIGINS.*CORS_ALLOW_CREDENTIALS"):
        Settings(_env_file=None, secret_key=TEST_SECRET, cors_origins="*", cors_allow_credentials=True)  # type: ignore[call-arg]


async def test_a_wildcard_origin_without_credentials_is_allowed(database_url):
    settings = Settings(_env_file=None, database_url=database_url, secret_key=TEST_SECRET, cors_origins="*")  # type: ignore[call-arg]
    app = create_app(settings)
    async with LifespanManager(app, startup_timeout=60, shutdown_timeout=60):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            response = await client.get("/health", headers={"Origin": "https://anywhere.example"})

    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in response.headers


class TestCors:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, object]:
        return {"cors_origins": ["https://app.example.com"], "cors_allow_credentials": True}

    async def test_a_listed_origin_is_allowed_with_credentials(self, client):
        response = await client.get("/health", headers={"Origin": "https://app.example.com"})

        assert response.headers["Access-Control-Allow-Origin"] == "https://app.example.com"
        assert response.headers["Access-Control-Allow-Credentials"] == "true"

    async def test_an_origin_not_listed_is_never_reflected(self, client):
        response = await client.get("/health", headers={"Origin": "https://evil.example"})

        assert response.status_code == 200
        assert "Access-Control-Allow-Origin" not in response.headers  # so the browser shows nothing

    async def test_a_preflight_from_an_origin_not_listed_is_refused_without_reflecting_it(self, client):
        response = await client.options(
            "/users/me",
            headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
        )

        assert response.status_code == 400
        assert "Access-Control-Allow-Origin" not in response.headers
        assert_secured(response)

    async def test_a_refusal_of_the_limits_carries_the_cors_headers_a_browser_needs_to_read_it(self, client):
        response = await client.post(
            "/auth/register", content=b"x" * (2 * 1024 * 1024), headers={"Origin": "https://app.example.com"}
        )

        assert response.status_code == 413
        assert response.headers["Access-Control-Allow-Origin"] == "https://app.example.com"
