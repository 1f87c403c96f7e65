"""`GET /.well-known/oauth-authorization-server` (RFC 8414) and the issuer it names."""

from __future__ import annotations

import httpx
import pytest
from jose import jwt

from app.auth.grants import MFA_OTP_GRANT
from app.config import Settings

METADATA = "/.well-known/oauth-authorization-server"


async def test_without_public_url_the_urls_follow_the_request(app, settings):
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gatehouse.internal:8000") as client:
        response = await client.get(METADATA)
    assert response.status_code == 200
    assert response.headers["Cache-Control"].startswith("public, max-age=")
    assert response.headers["Vary"] == "Host"
    body = response.json()
    assert body == {
        "issuer": "gatehouse",
        "token_endpoint": "http://gatehouse.internal:8000/auth/token",
        "revocation_endpoint": "http://gatehouse.internal:8000/auth/jwt/revoke",
        "introspection_endpoint": "http://gatehouse.internal:8000/auth/introspect",
        "jwks_uri": "http://gatehouse.internal:8000/.well-known/jwks.json",
        "grant_types_supported": ["password", "refresh_token", MFA_OTP_GRANT],
        "response_types_supported": [],
        "scopes_supported": [],
        "token_endpoint_auth_methods_supported": ["none"],
        "revocation_endpoint_auth_methods_supported": ["none"],
        "introspection_endpoint_auth_methods_supported": ["api_key", "bearer"],
        "service_documentation": "http://gatehouse.internal:8000/docs",
    }
    assert body["issuer"] == settings.jwt_issuer


async def test_every_url_it_names_answers(client):
    body = (await client.get(METADATA)).json()
    assert (await client.get(body["jwks_uri"])).status_code == 200
    assert (await client.get(body["service_documentation"])).status_code == 200
    # POST endpoints: a bare request is an OAuth2 error or an authentication error, not a 404/405.
    assert (await client.post(body["token_endpoint"])).json()["error"] == "invalid_request"
    assert (await client.post(body["revocation_endpoint"])).json()["error"] == "invalid_request"
    assert (await client.post(body["introspection_endpoint"])).status_code == 401


async def test_it_needs_no_credentials_and_is_not_rate_limited(client):
    for _ in range(20):
        assert (await client.get(METADATA, headers={"Authorization": "Bearer garbage"})).status_code == 200


class TestWithPublicUrl:
    @pytest.fixture
    def settings_overrides(self):
        return {"public_url": "https://auth.example.com/"}

    async def test_urls_start_with_public_url_and_the_issuer_is_it(self, client, user):
        response = await client.get(METADATA)
        body = response.json()
        assert "Vary" not in response.headers
        assert body["issuer"] == "https://auth.example.com"
        assert body["token_endpoint"] == "https://auth.example.com/auth/token"
        assert body["jwks_uri"] == "https://auth.example.com/.well-known/jwks.json"
        assert jwt.get_unverified_claims(user.token)["iss"] == "https://auth.example.com"

    async def test_the_docs_token_url_is_absolute(self, client):
        schema = (await client.get("/openapi.json")).json()
        flows = schema["components"]["securitySchemes"]["OAuth2PasswordBearer"]["flows"]
        assert flows["password"]["tokenUrl"] == "https://auth.example.com/auth/token"


async def test_the_docs_token_url_is_relative_without_public_url(client):
    schema = (await client.get("/openapi.json")).json()
    flows = schema["components"]["securitySchemes"]["OAuth2PasswordBearer"]["flows"]
    assert flows["password"]["tokenUrl"] == "auth/token"


def test_issuer_defaults():
    assert Settings(_env_file=None).jwt_issuer == "gatehouse"
    assert Settings(_env_file=None).public_url is None
    assert Settings(_env_file=None, public_url="https://a.example.com/").jwt_issuer == "https://a.example.com"
    explicit = Settings(_env_file=None, public_url="https://a.example.com", jwt_issuer="urn:me")
    assert explicit.jwt_issuer == "urn:me"
    assert Settings(_env_file=None, public_url=" ").public_url is None


def test_mail_links_fall_back_to_localhost_without_public_url():
    settings = Settings(_env_file=None)
    assert settings.reset_password_url == "http://localhost:8000/console/reset-password?token={token}"
    public = Settings(_env_file=None, public_url="https://auth.example.com")
    assert public.reset_password_url == "https://auth.example.com/console/reset-password?token={token}"
