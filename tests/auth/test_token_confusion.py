"""No token passes for another kind: refresh, reset-password and verification tokens are not
access tokens, an access token is not a refresh token, and a token cannot choose its algorithm."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from tests.sessions.support import (
    assert_access_refused,
    assert_access_works,
    assert_invalid_grant,
    bearer,
    login,
    public_pem,
    refresh,
    write_private_key,
)
from tests.support import access_claims, access_token_key, forge_token, session_id_of

# --- HS256 (the default) -------------------------------------------------------------------------


async def test_refresh_token_is_refused_as_a_bearer_token(client, user):
    tokens = await login(client, user.email, user.password)

    response = await client.get("/users/me", headers=bearer(tokens["refresh_token"]))

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"


async def test_refresh_token_is_refused_for_logout(client, user):
    tokens = await login(client, user.email, user.password)

    response = await client.post("/auth/jwt/logout", headers=bearer(tokens["refresh_token"]))

    assert response.status_code == 401
    await assert_access_works(client, tokens["access_token"])


async def test_reset_password_token_is_refused_as_a_bearer_token(client, user, notifier):
    await client.post("/auth/forgot-password", json={"email": user.email})

    await assert_access_refused(client, notifier.reset_tokens[user.email])


async def verification_token(client, notifier) -> str:
    """A real verification token, for a freshly registered (so unverified) account."""
    email = f"unverified-{uuid.uuid4().hex[:8]}@example.com"
    registered = await client.post("/auth/register", json={"email": email, "password": "x" * 16})
    assert registered.status_code == 201
    await client.post("/auth/request-verify-token", json={"email": email})
    return notifier.verify_tokens[email]


async def test_verification_token_is_refused_as_a_bearer_token(client, notifier):
    await assert_access_refused(client, await verification_token(client, notifier))


async def test_access_token_is_refused_as_a_refresh_token(client, user):
    assert_invalid_grant(await refresh(client, user.token))


async def test_reset_password_token_is_refused_as_a_refresh_token(client, user, notifier):
    await client.post("/auth/forgot-password", json={"email": user.email})

    assert_invalid_grant(await refresh(client, notifier.reset_tokens[user.email]))


async def test_verification_token_is_refused_as_a_refresh_token(client, notifier):
    assert_invalid_grant(await refresh(client, await verification_token(client, notifier)))


async def test_access_token_without_a_session_is_refused(client, user, settings):
    await assert_access_refused(client, forge_token(settings, user.id))


async def test_access_token_naming_an_unknown_session_is_refused(client, user, settings):
    await assert_access_refused(client, forge_token(settings, user.id, sid=str(uuid.uuid4())))


async def test_access_token_naming_another_users_session_is_refused(client, user, accounts, settings):
    other = await accounts.create()

    await assert_access_refused(client, forge_token(settings, user.id, sid=session_id_of(other.token)))


async def test_hs256_token_with_a_kid_is_refused(client, user, settings):
    token = jwt.encode(
        access_claims(settings, user.id, sid=session_id_of(user.token)),
        access_token_key(settings),
        algorithm="HS256",
        headers={"typ": "at+jwt", "kid": "some-key"},
    )

    await assert_access_refused(client, token)


# --- RS256 configured ----------------------------------------------------------------------------

RS256 = pytest.mark.parametrize("settings_overrides", ["RS256"], indirect=True)


@pytest.fixture
def settings_overrides(request, tmp_path: Path) -> dict[str, object]:
    algorithm = getattr(request, "param", None)
    if algorithm is None:
        return {}
    return {"jwt_algorithm": algorithm, "jwt_private_key_file": write_private_key(tmp_path / "jwt.pem", algorithm)}


def rs256_claims(settings, user) -> dict:
    return access_claims(settings, user.id, sid=session_id_of(user.token))


def hmac_token(claims: dict, secret: bytes, *, kid: str) -> str:
    """An HS256 JWT written by hand: PyJWT itself refuses a PEM key as an HMAC secret."""
    header = {"alg": "HS256", "typ": "at+jwt", "kid": kid}
    signing_input = b".".join(base64url(json.dumps(part).encode()) for part in (header, claims))
    signature = hmac.new(secret, signing_input, hashlib.sha256).digest()
    return (signing_input + b"." + base64url(signature)).decode()


def base64url(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def kid_of(user) -> str:
    return str(jwt.get_unverified_header(user.token)["kid"])


@RS256
async def test_control_a_token_signed_with_the_service_key_by_pyjwt_is_accepted(client, user, settings):
    private_key = serialization.load_pem_private_key(settings.jwt_private_key_file.read_bytes(), password=None)
    token = jwt.encode(
        rs256_claims(settings, user), private_key, algorithm="RS256", headers={"typ": "at+jwt", "kid": kid_of(user)}
    )

    await assert_access_works(client, token)


@RS256
async def test_hs256_token_is_refused_when_rs256_is_configured(client, user, settings):
    await assert_access_refused(client, forge_token(settings, user.id, sid=session_id_of(user.token)))


@RS256
async def test_hs256_token_keyed_with_the_public_key_is_refused(client, user, settings):
    # The classic confusion: a verifier that lets the header pick HMAC would use the public key,
    # which everyone has, as the HMAC secret.
    forged = hmac_token(rs256_claims(settings, user), public_pem(settings.jwt_private_key_file), kid=kid_of(user))

    await assert_access_refused(client, forged)


@RS256
async def test_alg_none_is_refused_when_rs256_is_configured(client, user, settings):
    token = jwt.encode(
        rs256_claims(settings, user), None, algorithm="none", headers={"typ": "at+jwt", "kid": kid_of(user)}
    )

    await assert_access_refused(client, token)


@RS256
async def test_token_signed_by_another_rsa_key_under_the_services_kid_is_refused(client, user, settings, tmp_path):
    stranger = serialization.load_pem_private_key(
        write_private_key(tmp_path / "stranger.pem", "RS256").read_bytes(), password=None
    )
    token = jwt.encode(
        rs256_claims(settings, user), stranger, algorithm="RS256", headers={"typ": "at+jwt", "kid": kid_of(user)}
    )

    await assert_access_refused(client, token)


@RS256
async def test_token_with_an_unknown_kid_is_refused(client, user, settings):
    private_key = serialization.load_pem_private_key(settings.jwt_private_key_file.read_bytes(), password=None)
    token = jwt.encode(
        rs256_claims(settings, user), private_key, algorithm="RS256", headers={"typ": "at+jwt", "kid": "unknown"}
    )

    await assert_access_refused(client, token)


@RS256
async def test_rs256_token_without_the_at_jwt_type_is_refused(client, user, settings):
    private_key = serialization.load_pem_private_key(settings.jwt_private_key_file.read_bytes(), password=None)
    token = jwt.encode(rs256_claims(settings, user), private_key, algorithm="RS256", headers={"kid": kid_of(user)})

    await assert_access_refused(client, token)


@RS256
async def test_rs512_token_with_the_service_key_is_refused(client, user, settings):
    private_key = serialization.load_pem_private_key(settings.jwt_private_key_file.read_bytes(), password=None)
    token = jwt.encode(
        rs256_claims(settings, user), private_key, algorithm="RS512", headers={"typ": "at+jwt", "kid": kid_of(user)}
    )

    await assert_access_refused(client, token)


@RS256
async def test_expired_rs256_token_is_refused(client, user, settings):
    private_key = serialization.load_pem_private_key(settings.jwt_private_key_file.read_bytes(), password=None)
    now = int(time.time())
    claims = access_claims(settings, user.id, sid=session_id_of(user.token), iat=now - 120, exp=now - 60)
    token = jwt.encode(claims, private_key, algorithm="RS256", headers={"typ": "at+jwt", "kid": kid_of(user)})

    await assert_access_refused(client, token)
