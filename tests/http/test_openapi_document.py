"""The OpenAPI document is the truth: every status an operation answers is documented, with the
schema its body follows, and real answers conform to it (`app.http.openapi`, `app.http.responses_doc`).

The schema fuzzing (tests/http/test_schemathesis.py) checks the same over thousands of generated
requests; these tests name the cases that matter one by one.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import schemathesis
from pydantic import BaseModel, ValidationError
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from app.core.roles import Role
from app.http.responses_doc import COMPONENTS, ERROR_MODELS, SERVICE_ERRORS, model_name
from app.main import create_app
from tests.factories import Account, Accounts, Keys
from tests.http.test_route_access import ALL, PROTECTED_ROUTES, PUBLIC_ROUTES

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
MODELS: dict[str, type[BaseModel]] = {model_name(model): model for model in ERROR_MODELS}
RATE_LIMITED = {
    ("POST", "/auth/jwt/login"),
    ("POST", "/auth/register"),
    ("POST", "/auth/forgot-password"),
    ("POST", "/auth/request-verify-token"),
    ("POST", "/auth/jwt/mfa"),
    ("POST", "/auth/token"),  # in the login's bucket (password grant) and the second step's
    # The console's sign-in, counted with the two above.
    ("POST", "/console/session"),
    ("POST", "/console/session/mfa"),
}
# Routes that reach neither the database nor the caller: they never answer 503 SERVICE_BUSY.
WITHOUT_DATABASE = {
    ("GET", "/health"),
    ("GET", "/ready"),
    ("GET", "/.well-known/jwks.json"),
    ("GET", "/.well-known/oauth-authorization-server"),
}


@pytest.fixture
async def document(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def operations(document: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (method.upper(), path): operation
        for path, methods in document["paths"].items()
        for method, operation in methods.items()
    }


def error_schemas(response: dict[str, Any]) -> list[str]:
    """The component names an error response's JSON schema refers to (one, or an anyOf)."""
    schema = response["content"]["application/json"]["schema"]
    refs = [schema] if "$ref" in schema else schema["anyOf"]
    assert all(set(ref) == {"$ref"} for ref in refs), f"inline schema: {schema}"
    return [ref["$ref"].removeprefix(COMPONENTS) for ref in refs]


def assert_conforms(document: dict[str, Any], method: str, path: str, response: httpx.Response) -> None:
    """schemathesis' verdict on one real answer: documented status, content type, headers, body."""
    operation = schemathesis.openapi.from_dict(document)[path][method]
    names = [parameter["name"] for parameter in document["paths"][path][method.lower()].get("parameters", [])]
    path_values = dict(zip(path.strip("/").split("/"), response.request.url.path.strip("/").split("/"), strict=True))
    parameters = {name: path_values[f"{{{name}}}"] for name in names if f"{{{name}}}" in path_values}
    operation.Case(path_parameters=parameters).validate_response(response, checks=CHECKS)


# --- what the document says ------------------------------------------------------------------


def test_every_error_answer_has_a_named_schema_and_examples_that_follow_it(document):
    for (method, path), operation in operations(document).items():
        for status, response in operation["responses"].items():
            if int(status) < 400:
                continue
            names = error_schemas(response)
            assert all(name in document["components"]["schemas"] for name in names), (method, path, status)
            for code, example in response["content"]["application/json"].get("examples", {}).items():
                models = [MODELS[name] for name in names if name in MODELS]
                assert models, f"{method} {path} {status}: no error model for example {code}"
                assert any(_follows(model, example["value"]) for model in models), (method, path, status, code)


def _follows(model: type[BaseModel], value: Any) -> bool:
    try:
        model.model_validate(value)
    except ValidationError:
        return False
    return True


def test_the_error_bodies_are_named_components_and_the_libraries_models_are_gone(document):
    schemas = document["components"]["schemas"]
    for name in ("ErrorBody", "OAuthErrorBody", "PasswordRejectedBody", "LibraryErrorBody", "ValidationErrorBody"):
        assert name in schemas
    assert schemas["ErrorBody"]["required"] == ["detail", "message"]
    assert set(schemas["OAuthErrorBody"]["required"]) == {"detail", "message", "error", "error_description"}
    for replaced in ("ErrorModel", "HTTPValidationError", "ValidationError"):
        assert replaced not in schemas


def test_protected_operations_document_401_with_the_bearer_challenge_and_400_for_both_credentials(document):
    found = operations(document)
    for route in PROTECTED_ROUTES:
        responses = found[(route.method, route.path)]["responses"]
        assert responses["401"]["headers"]["WWW-Authenticate"]["required"] is True, route.id
        if route.id != "POST /auth/jwt/logout":  # reads the bearer token alone
            examples = responses["400"]["content"]["application/json"]["examples"]
            assert "AMBIGUOUS_CREDENTIALS" in examples, route.id
    for method, path in PUBLIC_ROUTES - {("POST", "/auth/token")}:
        assert "401" not in found[(method, path)]["responses"], f"{method} {path}"
    # The token endpoint's 401 is OAuth2's invalid_client (HTTP Basic with a secret).
    token_401 = found[("POST", "/auth/token")]["responses"]["401"]["content"]["application/json"]["examples"]
    assert set(token_401) == {"INVALID_CLIENT"}


def test_gated_operations_document_403_and_loaded_path_parameters_404(document):
    found = operations(document)
    for route in PROTECTED_ROUTES:
        responses = found[(route.method, route.path)]["responses"]
        if route.allowed != ALL:
            assert "FORBIDDEN" in responses["403"]["content"]["application/json"]["examples"], route.id
        if "{" in route.path:
            assert "404" in responses, route.id
        else:
            assert "404" not in responses, route.id
    assert (
        "API_KEY_NOT_ALLOWED"
        in found[("PATCH", "/users/me")]["responses"]["403"]["content"]["application/json"]["examples"]
    )


def test_service_errors_are_documented_where_the_services_answer_them(document):
    found = operations(document)

    def codes(method: str, path: str, status: str) -> set[str]:
        return set(found[(method, path)]["responses"][status]["content"]["application/json"]["examples"])

    assert "LAST_ADMIN" in codes("PATCH", "/admin/users/{user_id}", "409")
    assert "LAST_ADMIN" in codes("DELETE", "/admin/users/{user_id}", "409")
    assert "API_KEY_LIMIT_REACHED" in codes("POST", "/api-keys", "409")
    assert "API_KEY_ROLE_NOT_ALLOWED" in codes("POST", "/api-keys", "403")
    assert {"UPDATE_USER_EMAIL_ALREADY_EXISTS", "UPDATE_USER_INVALID_PASSWORD"} <= codes("PATCH", "/users/me", "400")
    assert {"REGISTER_USER_ALREADY_EXISTS", "REGISTER_INVALID_PASSWORD"} <= codes("POST", "/admin/users", "400")
    assert {"INVALID_REFRESH_TOKEN", "UNSUPPORTED_GRANT_TYPE", "INVALID_TOKEN_REQUEST"} <= codes(
        "POST", "/auth/jwt/refresh", "400"
    )
    # Login errors are Gatehouse's, with the OAuth2 code; fastapi-users' own examples are gone
    # (its form body may still be one the framework cannot decode).
    login = found[("POST", "/auth/jwt/login")]["responses"]["400"]
    assert set(error_schemas(login)) == {"OAuthErrorBody", "ErrorBody"}
    assert set(login["content"]["application/json"]["examples"]) == {
        "LOGIN_BAD_CREDENTIALS",
        "LOGIN_USER_NOT_VERIFIED",
        "MALFORMED_BODY",
    }
    # fastapi-users' registration answers its own bodies.
    assert "LibraryErrorBody" in error_schemas(found[("POST", "/auth/register")]["responses"]["400"])
    for entry in SERVICE_ERRORS:
        method, path = entry.split(" ", 1)
        assert (method, path) in found, f"SERVICE_ERRORS names {entry}, which the app does not serve"


def test_bodies_document_413_and_422_rate_limits_429_and_every_route_431(document):
    for (method, path), operation in operations(document).items():
        responses = operation["responses"]
        if "requestBody" in operation:
            assert {"413", "422"} <= set(responses), f"{method} {path}"
            assert error_schemas(responses["422"]) == ["ValidationErrorBody"]
        assert ("429" in responses) == ((method, path) in RATE_LIMITED), f"{method} {path}"
        if "429" in responses:
            assert responses["429"]["headers"]["Retry-After"]["required"] is True
        assert "431" in responses, f"{method} {path}"


def test_every_route_that_reaches_the_database_documents_503_with_retry_after(document):
    for (method, path), operation in operations(document).items():
        if (method, path) in WITHOUT_DATABASE:
            continue
        busy = operation["responses"]["503"]
        assert error_schemas(busy) == ["OAuthErrorBody"], f"{method} {path}"
        assert set(busy["content"]["application/json"]["examples"]) == {"SERVICE_BUSY", "DATABASE_UNAVAILABLE"}
        assert busy["headers"]["Retry-After"]["required"] is True


def test_logout_is_documented_as_204(document):
    assert "204" in operations(document)[("POST", "/auth/jwt/logout")]["responses"]
    assert "200" not in operations(document)[("POST", "/auth/jwt/logout")]["responses"]


def test_the_document_built_before_start_up_is_not_kept(settings):
    app = create_app(settings)  # no lifespan: no services, so which routes are limited is unknown
    assert "429" in app.openapi()["paths"]["/auth/jwt/login"]["post"]["responses"]
    assert app.openapi_schema is None


async def test_docs_page_still_loads_the_document(client):
    assert (await client.get("/docs")).status_code == 200
    assert (await client.get("/redoc")).status_code == 200


# --- real answers conform to it ----------------------------------------------------------------


async def test_logout_answers_204(client, document, user: Account):
    response = await client.post("/auth/jwt/logout", headers=user.headers)

    assert response.status_code == 204
    assert_conforms(document, "POST", "/auth/jwt/logout", response)


async def test_refusals_of_the_caller_conform(client, document, accounts, guest: Account, user: Account, keys: Keys):
    key = await keys.create(user)
    others_key = await keys.create(await accounts.create())
    answers = {
        ("GET", "/users/me", 401): await client.get("/users/me"),
        ("GET", "/users/me", 400): await client.get("/users/me", headers={**user.headers, **others_key.headers}),
        ("GET", "/admin/users", 403): await client.get("/admin/users", headers=guest.headers),
        ("PATCH", "/users/me", 403): await client.patch("/users/me", json={}, headers=key.headers),
        ("POST", "/auth/jwt/logout", 401): await client.post("/auth/jwt/logout", headers=key.headers),
    }
    for (method, path, status), response in answers.items():
        assert response.status_code == status, (method, path, response.text)
        assert_conforms(document, method, path, response)


async def test_missing_resources_and_conflicts_conform(client, document, admin: Account, user: Account):
    missing = "00000000-0000-4000-8000-000000000000"
    answers = {
        ("GET", "/items/{item_id}", 404): await client.get(f"/items/{missing}", headers=user.headers),
        ("DELETE", "/users/me/sessions/{session_id}", 404): await client.delete(
            f"/users/me/sessions/{missing}", headers=user.headers
        ),
        ("GET", "/admin/users/{user_id}", 404): await client.get(f"/admin/users/{missing}", headers=admin.headers),
        ("DELETE", "/admin/users/{user_id}", 409): await client.delete(
            f"/admin/users/{admin.id}", headers=admin.headers
        ),
        ("PATCH", "/admin/users/{user_id}", 409): await client.patch(
            f"/admin/users/{admin.id}", json={"role": "guest"}, headers=admin.headers
        ),
    }
    for (method, path, status), response in answers.items():
        assert response.status_code == status, (method, path, response.text)
        assert_conforms(document, method, path, response)
    assert answers[("DELETE", "/admin/users/{user_id}", 409)].json()["detail"] == "LAST_ADMIN"


@pytest.mark.parametrize("settings_overrides", [{"api_key_max_active_per_user": 1}])
async def test_the_api_key_limit_conforms(client, document, user: Account, keys: Keys):
    await keys.create(user)

    response = await client.post("/api-keys", json={"name": "one too many"}, headers=user.headers)

    assert response.status_code == 409
    assert response.json()["detail"] == "API_KEY_LIMIT_REACHED"
    assert_conforms(document, "POST", "/api-keys", response)


async def test_password_and_account_errors_conform_on_both_kinds_of_route(client, document, user: Account):
    answers = {
        ("PATCH", "/users/me", 400): await client.patch(
            "/users/me", json={"password": "short", "current_password": user.password}, headers=user.headers
        ),
        ("POST", "/auth/register", 400): await client.post(
            "/auth/register", json={"email": user.email, "password": "a-long-enough-password"}
        ),
        ("POST", "/auth/reset-password", 400): await client.post(
            "/auth/reset-password", json={"token": "not-a-token", "password": "a-long-enough-password"}
        ),
        ("POST", "/auth/verify", 400): await client.post("/auth/verify", json={"token": "not-a-token"}),
        ("POST", "/auth/jwt/refresh", 400): await client.post("/auth/jwt/refresh", data={"grant_type": "password"}),
        ("POST", "/auth/jwt/revoke", 400): await client.post("/auth/jwt/revoke", data={}),
    }
    for (method, path, status), response in answers.items():
        assert response.status_code == status, (method, path, response.text)
        assert_conforms(document, method, path, response)
    assert answers[("PATCH", "/users/me", 400)].json()["detail"]["code"] == "UPDATE_USER_INVALID_PASSWORD"
    assert answers[("POST", "/auth/register", 400)].json() == {"detail": "REGISTER_USER_ALREADY_EXISTS"}
    registered = await client.post("/auth/register", json={"email": "new@example.com", "password": "short"})
    assert registered.json()["detail"]["code"] == "REGISTER_INVALID_PASSWORD"
    assert_conforms(document, "POST", "/auth/register", registered)


async def test_login_errors_carry_the_oauth2_code(client, document, user: Account):
    response = await client.post("/auth/jwt/login", data={"username": user.email, "password": "wrong password!"})

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
    assert_conforms(document, "POST", "/auth/jwt/login", response)


async def test_invalid_and_undecodable_bodies_conform(client, document, user: Account):
    invalid = await client.post("/items", json={"title": ""}, headers=user.headers)
    undecodable = await client.post(
        "/items", content=b'{"title": "\xff"}', headers={**user.headers, "Content-Type": "application/json"}
    )

    assert invalid.status_code == 422
    assert undecodable.status_code == 400
    assert_conforms(document, "POST", "/items", invalid)
    assert_conforms(document, "POST", "/items", undecodable)


@pytest.mark.parametrize("settings_overrides", [{"login_max_failures": 1}])
async def test_a_locked_login_says_when_to_retry_and_conforms(client, document, accounts: Accounts):
    account = await accounts.create(role=Role.USER, login=False)
    await client.post("/auth/jwt/login", data={"username": account.email, "password": "wrong password!"})

    locked = await client.post("/auth/jwt/login", data={"username": account.email, "password": account.password})

    assert locked.status_code == 400
    assert int(locked.headers["Retry-After"]) >= 1
    assert_conforms(document, "POST", "/auth/jwt/login", locked)


@pytest.mark.parametrize("settings_overrides", [{"login_rate_limit": "1/minute"}])
async def test_the_rate_limit_conforms(client, document, accounts: Accounts):
    account = await accounts.create(role=Role.USER)  # logs in once: the limit is spent

    response = await client.post("/auth/jwt/login", data={"username": account.email, "password": account.password})

    assert response.status_code == 429
    assert response.json()["error"] == "rate_limited"
    assert_conforms(document, "POST", "/auth/jwt/login", response)


async def test_request_limits_conform(client, document, user: Account):
    too_large = await client.post(
        "/items", content=b"[" + b"0," * 600_000 + b"0]", headers={**user.headers, "Content-Type": "application/json"}
    )
    too_many_headers = await client.get("/users/me", headers={**user.headers, **{f"x-h{n}": "v" for n in range(200)}})

    assert too_large.status_code == 413
    assert too_many_headers.status_code == 431
    assert_conforms(document, "POST", "/items", too_large)
    assert_conforms(document, "GET", "/users/me", too_many_headers)
