"""A service that trusts Gatehouse: `uvicorn main:app` in this folder (see README.md).

GET /reports verifies the access token offline (signature through the JWKS, `iss`, `aud`, `exp`,
`typ`) and lets only the `role` admin in: fast, but a role change shows at the next token.
GET /me/live asks Gatehouse (introspection) on every call: a logout or demotion shows at once.
"""

import os
from functools import lru_cache
from typing import Annotated, Any

import httpx
import jwt
from fastapi import Depends, FastAPI, HTTPException
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

GATEHOUSE_URL = os.environ["GATEHOUSE_URL"].rstrip("/")  # its metadata document names the rest
INTROSPECTION_KEY = os.environ["GATEHOUSE_INTROSPECTION_KEY"]  # an API key with tokens:introspect
AUDIENCE = os.environ.get("GATEHOUSE_AUDIENCE", "gatehouse")  # Gatehouse's JWT_AUDIENCE
ALGORITHMS = ["RS256", "ES256"]  # never the token's own choice, never HS256 or none

app = FastAPI(title="Example resource server")
bearer = HTTPBearer(auto_error=False)


def refuse(detail: str) -> HTTPException:
    return HTTPException(401, detail, headers={"WWW-Authenticate": "Bearer"})


@lru_cache
def metadata() -> dict[str, Any]:
    """Gatehouse's RFC 8414 metadata document, read once."""
    response = httpx.get(f"{GATEHOUSE_URL}/.well-known/oauth-authorization-server", timeout=10)
    response.raise_for_status()
    return dict(response.json())


@lru_cache
def jwks_client() -> jwt.PyJWKClient:
    # Caches the keys; fetches them again when a token names a `kid` it does not know (rotation).
    return jwt.PyJWKClient(metadata()["jwks_uri"], lifespan=300)


def token_of(credentials: HTTPAuthorizationCredentials | None) -> str:
    if credentials is None:
        raise refuse("Send 'Authorization: Bearer <Gatehouse access token>'.")
    return credentials.credentials


# Plain `def`: FastAPI runs these in a thread, so the blocking JWKS and HTTP calls never stall the loop.
def verified_claims(credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> dict[str, Any]:
    token = token_of(credentials)
    try:
        if jwt.get_unverified_header(token).get("typ") != "at+jwt":
            raise refuse("Not an access token.")
        key = jwks_client().get_signing_key_from_jwt(token)
        claims: dict[str, Any] = jwt.decode(
            token,
            key.key,
            algorithms=ALGORITHMS,
            audience=AUDIENCE,
            issuer=metadata()["issuer"],
            options={"require": ["exp", "iat", "iss", "aud", "sub"]},
        )
    except jwt.PyJWTError as error:
        raise refuse(f"Invalid token: {error}") from error
    return claims


def introspected(credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> dict[str, Any]:
    response = httpx.post(
        metadata()["introspection_endpoint"],
        data={"token": token_of(credentials), "token_type_hint": "access_token"},
        headers={"X-API-Key": INTROSPECTION_KEY},
        timeout=10,
    )
    response.raise_for_status()  # a 401/403 here means the introspection key is wrong: a 500 is right
    answer: dict[str, Any] = response.json()
    if not answer["active"] or answer.get("token_type") != "access_token":
        raise refuse("The token is not live.")
    return answer


@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/reports")
def reports(claims: Annotated[dict[str, Any], Depends(verified_claims)]) -> dict[str, Any]:
    if claims.get("role") != "admin":
        raise HTTPException(403, "Admins only.")
    return {"reports": ["q3-revenue"], "for": claims["sub"]}


@app.get("/me/live")
def me_live(answer: Annotated[dict[str, Any], Depends(introspected)]) -> dict[str, Any]:
    return {"sub": answer["sub"], "role": answer["role"], "amr": answer.get("amr", [])}
