"""`/.well-known/jwks.json`: the public keys that verify access tokens (RFC 7517 JWK Set).

With RS256 or ES256 it lists the current signing key and the retired ones still accepted; with
HS256 it is empty, since the HMAC key is a secret. Verifiers cache it for a few minutes and fetch
it again when a token names a `kid` they do not know, which is how a new key reaches them.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from app.http.services import ServicesDep

JWKS_CACHE = {"Cache-Control": "public, max-age=300"}

router = APIRouter(tags=["auth"])


@router.get("/.well-known/jwks.json")
async def jwks(services: ServicesDep) -> Any:
    """The JWK Set of the service's access-token verification keys. Needs no credentials."""
    return JSONResponse(services.access_tokens.keys.jwks(), headers=JWKS_CACHE)
