"""The OpenAPI document for people and generators: operationIds, tags, summaries, descriptions."""

from __future__ import annotations

import re

import pytest

EXPECTED_IDS = {
    ("post", "/auth/jwt/login"): "login",
    ("post", "/auth/token"): "token",
    ("post", "/auth/jwt/refresh"): "refresh_token",
    ("get", "/users/me"): "read_me",
    ("get", "/admin/users"): "list_users",
    ("post", "/auth/jwt/logout"): "logout",
    ("post", "/auth/jwt/revoke"): "revoke_token",
    ("post", "/auth/jwt/mfa"): "login_mfa",
    ("post", "/auth/introspect"): "introspect_token",
    ("post", "/auth/register"): "register",
    ("post", "/auth/forgot-password"): "forgot_password",
    ("post", "/auth/reset-password"): "reset_password",
    ("post", "/auth/request-verify-token"): "request_verify_token",
    ("post", "/auth/verify"): "verify",
    ("get", "/.well-known/oauth-authorization-server"): "authorization_server_metadata",
    ("post", "/items"): "create_item",
    ("get", "/items"): "list_items",
}
# fastapi-users' route names, and FastAPI's default ids built from them and the paths.
LIBRARY_NAMES = re.compile(r"auth:jwt|register:register|reset:|verify:|_post\b|_get\b|auth_jwt_login")


@pytest.fixture
async def schema(client):
    return (await client.get("/openapi.json")).json()


def operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            yield method, path, operation


async def test_operation_ids_are_the_documented_ones(schema):
    found = {(method, path): operation["operationId"] for method, path, operation in operations(schema)}
    for key, expected in EXPECTED_IDS.items():
        assert found[key] == expected, key
    ids = list(found.values())
    assert len(ids) == len(set(ids))
    for operation_id in ids:
        assert re.fullmatch(r"[a-z][a-z0-9_]*", operation_id), operation_id


async def test_every_operation_has_a_tag_a_summary_and_a_description(schema):
    for method, path, operation in operations(schema):
        assert len(operation.get("tags", [])) == 1, (method, path)
        assert operation.get("summary"), (method, path)
        assert operation.get("description"), (method, path)
        # Not fastapi-users' route names title-cased ("Auth:Jwt.Login").
        assert ":" not in operation["summary"], (method, path, operation["summary"])


async def test_no_library_route_name_shows(schema):
    text = str(schema)
    assert not LIBRARY_NAMES.search(text), LIBRARY_NAMES.search(text)


async def test_the_token_endpoint_documents_its_oauth_errors(schema):
    responses = schema["paths"]["/auth/token"]["post"]["responses"]
    examples = responses["400"]["content"]["application/json"]["examples"]
    for code in ("INVALID_TOKEN_REQUEST", "UNSUPPORTED_GRANT_TYPE", "LOGIN_BAD_CREDENTIALS", "INVALID_REFRESH_TOKEN"):
        assert code in examples, code
        assert examples[code]["value"]["error_description"]
    assert "429" in responses and "401" in responses and "403" in responses
    oauth = schema["components"]["schemas"]["OAuthErrorBody"]
    assert "error_description" in oauth["required"]
