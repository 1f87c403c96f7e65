"""Asymmetric signing: RS256/ES256 tokens carry a `kid`, `/.well-known/jwks.json` publishes the
public keys, a third party verifies tokens with PyJWT from that JWK Set alone, and keys rotate."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import jwt
import pytest
import uvicorn

from app.core.signing_keys import thumbprint
from app.main import create_app
from tests.sessions.support import (
    assert_access_refused,
    assert_access_works,
    login,
    public_pem,
    refreshed,
    write_private_key,
)

PRIVATE_MEMBERS = {"d", "p", "q", "dp", "dq", "qi"}


def header_of(token: str) -> dict:
    return jwt.get_unverified_header(token)


def verify_as_a_third_party(token: str, jwks: dict, settings) -> dict:
    """What another service does: pick the key by `kid` from the JWK Set, then check the token."""
    key_set = jwt.PyJWKSet.from_dict(jwks)
    key = key_set[header_of(token)["kid"]]
    return jwt.decode(
        token, key.key, algorithms=[key.algorithm_name], audience=settings.jwt_audience, issuer=settings.jwt_issuer
    )


async def fetch_jwks(client) -> dict:
    response = await client.get("/.well-known/jwks.json")
    assert response.status_code == 200
    body: dict = response.json()
    return body


# --- HS256, the default --------------------------------------------------------------------------

HS256 = pytest.mark.parametrize("settings_overrides", [{}], ids=["HS256"])


@HS256
async def test_hs256_publishes_no_keys(client):
    response = await client.get("/.well-known/jwks.json")

    assert response.status_code == 200
    assert response.json() == {"keys": []}


@HS256
async def test_hs256_tokens_carry_no_kid(user):
    assert "kid" not in header_of(user.token)
    assert header_of(user.token)["alg"] == "HS256"


# --- RS256 and ES256 -----------------------------------------------------------------------------


@pytest.fixture(params=["RS256", "ES256"])
def settings_overrides(request, tmp_path: Path) -> dict[str, object]:
    key_file = write_private_key(tmp_path / "signing.pem", request.param)
    return {"jwt_algorithm": request.param, "jwt_private_key_file": key_file}


async def test_asymmetric_tokens_name_their_key_and_algorithm(user, settings):
    header = header_of(user.token)

    assert header["alg"] == settings.jwt_algorithm
    assert header["typ"] == "at+jwt"
    assert header["kid"]


async def test_jwks_publishes_the_signing_key_under_the_tokens_kid(client, user, settings):
    jwks = await fetch_jwks(client)

    [key] = jwks["keys"]
    assert key["kid"] == header_of(user.token)["kid"]
    assert key["alg"] == settings.jwt_algorithm
    assert key["use"] == "sig"
    assert key["kty"] == ("RSA" if settings.jwt_algorithm == "RS256" else "EC")
    assert not PRIVATE_MEMBERS & set(key)


async def test_kid_is_the_rfc_7638_thumbprint_of_the_published_key(client):
    [key] = (await fetch_jwks(client))["keys"]

    assert key["kid"] == thumbprint(key)


async def test_jwks_may_be_cached_for_a_few_minutes(client):
    response = await client.get("/.well-known/jwks.json")

    assert response.headers["Cache-Control"] == "public, max-age=300"


async def test_pyjwt_verifies_an_access_token_with_the_published_jwks(client, user, settings):
    claims = verify_as_a_third_party(user.token, await fetch_jwks(client), settings)

    assert claims["sub"] == str(user.id)
    assert claims["sid"]


async def test_pyjwt_verifies_a_refreshed_access_token_too(client, user, settings):
    tokens = await login(client, user.email, user.password)
    later = await refreshed(client, tokens["refresh_token"])

    claims = verify_as_a_third_party(later["access_token"], await fetch_jwks(client), settings)

    assert claims["sub"] == str(user.id)


async def test_the_service_accepts_its_asymmetric_tokens(client, user):
    await assert_access_works(client, user.token)


# --- a third party fetching the JWK Set over HTTP ------------------------------------------------


@pytest.fixture
def served_app(settings, app) -> Iterator[uvicorn.Server]:
    """The service on a loopback port (a second instance on the test's database), as a verifier
    elsewhere would reach it."""
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.should_exit = True
        thread.join()


async def wait_until_started(server: uvicorn.Server) -> str:
    for _ in range(1000):
        if server.started:
            port = server.servers[0].sockets[0].getsockname()[1]
            return f"http://127.0.0.1:{port}"
        await asyncio.sleep(0.01)
    raise AssertionError("the service did not start on a loopback port")


async def test_pyjwkclient_fetches_the_jwks_over_http_and_verifies_a_token(served_app, user, settings):
    base_url = await wait_until_started(served_app)
    jwks_client = jwt.PyJWKClient(f"{base_url}/.well-known/jwks.json")

    signing_key = await asyncio.to_thread(jwks_client.get_signing_key_from_jwt, user.token)
    claims = jwt.decode(
        user.token,
        signing_key.key,
        algorithms=[settings.jwt_algorithm],
        audience=settings.jwt_audience,
        issuer=settings.jwt_issuer,
    )

    assert claims["sub"] == str(user.id)


# --- rotation ------------------------------------------------------------------------------------


async def test_after_rotation_tokens_of_the_retired_key_are_still_accepted(user, settings, tmp_path, other_worker):
    new_key = write_private_key(tmp_path / "new.pem", settings.jwt_algorithm)

    async with other_worker(
        jwt_private_key_file=new_key, jwt_retired_public_key_files=[settings.jwt_private_key_file]
    ) as rotated:
        await assert_access_works(rotated, user.token)


async def test_after_rotation_new_tokens_use_the_new_key_and_both_are_published(user, settings, tmp_path, other_worker):
    new_key = write_private_key(tmp_path / "new.pem", settings.jwt_algorithm)
    retired_public = tmp_path / "retired.pub.pem"
    retired_public.write_bytes(public_pem(settings.jwt_private_key_file))

    async with other_worker(jwt_private_key_file=new_key, jwt_retired_public_key_files=[retired_public]) as rotated:
        fresh = await login(rotated, user.email, user.password)
        jwks = await fetch_jwks(rotated)

    old_kid, new_kid = header_of(user.token)["kid"], header_of(fresh["access_token"])["kid"]
    assert old_kid != new_kid
    assert {key["kid"] for key in jwks["keys"]} == {old_kid, new_kid}
    verify_as_a_third_party(user.token, jwks, settings)
    verify_as_a_third_party(fresh["access_token"], jwks, settings)


async def test_once_a_retired_key_is_dropped_its_tokens_are_refused(user, settings, tmp_path, other_worker):
    new_key = write_private_key(tmp_path / "new.pem", settings.jwt_algorithm)

    async with other_worker(jwt_private_key_file=new_key) as rotated:
        await assert_access_refused(rotated, user.token)
        assert len((await fetch_jwks(rotated))["keys"]) == 1


async def test_rotation_may_change_the_algorithm(user, settings, tmp_path, other_worker):
    other_algorithm = "ES256" if settings.jwt_algorithm == "RS256" else "RS256"
    new_key = write_private_key(tmp_path / "new.pem", other_algorithm)

    async with other_worker(
        jwt_algorithm=other_algorithm,
        jwt_private_key_file=new_key,
        jwt_retired_public_key_files=[settings.jwt_private_key_file],
    ) as rotated:
        await assert_access_works(rotated, user.token)
        jwks = await fetch_jwks(rotated)

    assert {key["alg"] for key in jwks["keys"]} == {"RS256", "ES256"}


def test_thumbprint_matches_the_rfc_7638_example():
    # RFC 7638 section 3.1.
    example = json.loads(
        '{"kty":"RSA","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECP'
        "ebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZg"
        "nYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44"
        '-csFCur-kEgU8awapJzKnqDKgw","e":"AQAB","alg":"RS256","kid":"2011-04-29"}'
    )

    assert thumbprint(example) == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
