"""`GET /.well-known/oauth-authorization-server`: the RFC 8414 metadata document.

What a standard OAuth2 client or a resource server needs to find everything else: the issuer
(`iss` of every access token), the token, revocation and introspection endpoints and the JWKS.
With PUBLIC_URL set every URL starts with it; unset (development), with the request's own base
URL, and the answer varies by `Host`. Gatehouse has no authorization endpoint (no browser
redirect flows), so `response_types_supported` is `[]`; and no scopes (a token may do what its
user's role allows), so `scopes_supported` is `[]` and a `scope` sent to the token endpoint is
ignored. The audience is not part of RFC 8414: verifiers check `aud` against JWT_AUDIENCE.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from app.auth.grants import GRANT_TYPES
from app.http.services import ServicesDep

METADATA_PATH = "/.well-known/oauth-authorization-server"
TOKEN_PATH = "/auth/token"
REVOCATION_PATH = "/auth/jwt/revoke"
INTROSPECTION_PATH = "/auth/introspect"
JWKS_PATH = "/.well-known/jwks.json"
DOCS_PATH = "/docs"
METADATA_CACHE = {"Cache-Control": "public, max-age=3600"}
# Not registered with IANA: the introspection caller sends an API key (`X-API-Key`), or an
# admin's bearer access token.
INTROSPECTION_AUTH_METHODS = ["api_key", "bearer"]

router = APIRouter(tags=["auth"])


def authorization_server_metadata(*, base_url: str, issuer: str) -> dict[str, Any]:
    """The document, for a service reached at `base_url` (no trailing slash)."""
    return {
        "issuer": issuer,
        "token_endpoint": base_url + TOKEN_PATH,
        "revocation_endpoint": base_url + REVOCATION_PATH,
        "introspection_endpoint": base_url + INTROSPECTION_PATH,
        "jwks_uri": base_url + JWKS_PATH,
        "grant_types_supported": list(GRANT_TYPES),
        "response_types_supported": [],
        "scopes_supported": [],
        "token_endpoint_auth_methods_supported": ["none"],
        "revocation_endpoint_auth_methods_supported": ["none"],
        "introspection_endpoint_auth_methods_supported": INTROSPECTION_AUTH_METHODS,
        "service_documentation": base_url + DOCS_PATH,
    }


@router.get(METADATA_PATH, operation_id="authorization_server_metadata", summary="OAuth 2.0 server metadata")
async def metadata(request: Request, services: ServicesDep) -> Any:
    """RFC 8414 authorization server metadata: the issuer, the token, revocation and
    introspection endpoints, the JWKS. Public, cached for an hour. The introspection caller
    authenticates with `X-API-Key` (a key whose role has `tokens:introspect`)."""
    settings = services.settings
    base_url = settings.public_url or str(request.base_url).rstrip("/")
    headers = dict(METADATA_CACHE) if settings.public_url else {**METADATA_CACHE, "Vary": "Host"}
    return JSONResponse(authorization_server_metadata(base_url=base_url, issuer=settings.jwt_issuer), headers=headers)
