"""Access tokens: what they carry, and every kind of token the service must refuse."""

from __future__ import annotations

import time
import uuid

import jwt
import pytest

from tests.support import OTHER_KEY, access_token_key, bearer, forge_token, session_id_of

REQUIRED_CLAIMS = {"iss", "aud", "sub", "iat", "exp", "jti"}


def decode(settings, token: str) -> dict:
    return jwt.decode(
        token,
        access_token_key(settings),
        algorithms=["HS256"],
        audience=settings.jwt_audience,
        issuer=settings.jwt_issuer,
    )


async def assert_refused(client, token: str) -> None:
    response = await client.get("/users/me", headers=bearer(token))
    assert response.status_code == 401, response.text
    assert response.headers["WWW-Authenticate"] == "Bearer"


# --- what an issued token carries ---------------------------------------------------------------


async def test_access_token_carries_iss_aud_sub_iat_exp_and_jti(user, settings):
    claims = decode(settings, user.token)

    assert set(claims) >= REQUIRED_CLAIMS
    assert claims["iss"] == settings.jwt_issuer
    assert claims["aud"] == settings.jwt_audience
    assert claims["sub"] == str(user.id)
    assert claims["jti"]


async def test_access_token_lives_for_the_configured_ttl(user, settings):
    claims = decode(settings, user.token)

    assert claims["exp"] - claims["iat"] == settings.access_token_ttl_seconds
    assert abs(claims["iat"] - time.time()) < 600  # issued now, not at some fixed date


async def test_access_token_header_has_type_at_jwt_and_the_configured_algorithm(user):
    header = jwt.get_unverified_header(user.token)

    assert header["typ"] == "at+jwt"
    assert header["alg"] == "HS256"


async def test_each_access_token_has_its_own_jti(accounts, user, settings):
    other = await accounts.login(user.email, user.password)

    assert decode(settings, user.token)["jti"] != decode(settings, other)["jti"]


# --- tokens the service refuses ----------------------------------------------------------------


async def test_a_token_forged_the_same_way_with_the_server_key_is_accepted(client, user, settings):
    # The control for the refusals below: the forging helper itself makes acceptable tokens.
    response = await client.get(
        "/users/me", headers=bearer(forge_token(settings, user.id, sid=session_id_of(user.token)))
    )

    assert response.status_code == 200


async def test_token_with_alg_none_is_refused(client, user, settings):
    await assert_refused(client, forge_token(settings, user.id, sid=session_id_of(user.token), algorithm="none"))


async def test_token_signed_with_hs512_and_the_server_key_is_refused(client, user, settings):
    await assert_refused(client, forge_token(settings, user.id, sid=session_id_of(user.token), algorithm="HS512"))


async def test_token_signed_with_another_key_is_refused(client, user, settings):
    await assert_refused(client, forge_token(settings, user.id, sid=session_id_of(user.token), key=OTHER_KEY))


async def test_token_signed_with_the_raw_secret_key_instead_of_the_derived_key_is_refused(client, user, settings):
    await assert_refused(
        client, forge_token(settings, user.id, sid=session_id_of(user.token), key=settings.signing_secret())
    )


async def test_token_with_a_tampered_payload_is_refused(client, user, accounts):
    admin = await accounts.create()
    header, _, signature = user.token.split(".")
    _, admin_payload, _ = admin.token.split(".")

    await assert_refused(client, f"{header}.{admin_payload}.{signature}")


async def test_expired_token_is_refused(client, user, settings):
    now = int(time.time())

    await assert_refused(
        client, forge_token(settings, user.id, sid=session_id_of(user.token), iat=now - 120, exp=now - 60)
    )


async def test_token_with_wrong_audience_is_refused(client, user, settings):
    await assert_refused(client, forge_token(settings, user.id, sid=session_id_of(user.token), aud="another-service"))


async def test_token_with_wrong_issuer_is_refused(client, user, settings):
    await assert_refused(
        client, forge_token(settings, user.id, sid=session_id_of(user.token), iss="https://evil.example.com")
    )


@pytest.mark.parametrize("claim", sorted(REQUIRED_CLAIMS))
async def test_token_without_a_required_claim_is_refused(client, user, settings, claim):
    await assert_refused(client, forge_token(settings, user.id, sid=session_id_of(user.token), **{claim: None}))


async def test_token_without_the_at_jwt_type_is_refused(client, user, settings):
    await assert_refused(client, forge_token(settings, user.id, sid=session_id_of(user.token), typ="JWT"))


async def test_token_without_a_type_header_is_refused(client, user, settings):
    await assert_refused(client, forge_token(settings, user.id, sid=session_id_of(user.token), typ=None))


async def test_token_with_a_subject_that_is_not_a_user_id_is_refused(client, user, settings):
    await assert_refused(client, forge_token(settings, user.id, sid=session_id_of(user.token), sub="admin"))


async def test_token_of_a_deleted_user_is_refused(client, user, settings):
    await assert_refused(client, forge_token(settings, uuid.uuid4(), sid=session_id_of(user.token)))


async def test_malformed_token_is_refused(client):
    await assert_refused(client, "not-a-jwt")


async def test_reset_password_token_is_refused_as_a_bearer_token(client, user, notifier):
    response = await client.post("/auth/forgot-password", json={"email": user.email})
    assert response.status_code == 202
    reset_token = notifier.reset_tokens[user.email]

    await assert_refused(client, reset_token)


async def test_verification_token_is_refused_as_a_bearer_token(client, notifier):
    registered = await client.post("/auth/register", json={"email": "new@example.com", "password": "x" * 16})
    assert registered.status_code == 201
    response = await client.post("/auth/request-verify-token", json={"email": "new@example.com"})
    assert response.status_code == 202
    verify_token = notifier.verify_tokens["new@example.com"]

    await assert_refused(client, verify_token)


async def test_logout_refuses_a_reset_password_token(client, user, notifier):
    await client.post("/auth/forgot-password", json={"email": user.email})

    response = await client.post("/auth/jwt/logout", headers=bearer(notifier.reset_tokens[user.email]))

    assert response.status_code == 401


# --- times: numbers only, JWT_LEEWAY_SECONDS of skew on each ------------------------------------


@pytest.mark.parametrize("claim", ["exp", "iat", "nbf"])
async def test_a_time_claim_that_is_not_a_number_is_refused(client, user, settings, claim):
    now = int(time.time())
    values = {"exp": str(now + 300), "iat": str(now), "nbf": str(now)}
    await assert_refused(
        client, forge_token(settings, user.id, sid=session_id_of(user.token), **{claim: values[claim]})
    )


async def test_a_boolean_time_claim_is_refused(client, user, settings):
    await assert_refused(client, forge_token(settings, user.id, sid=session_id_of(user.token), nbf=True))


async def test_an_iat_beyond_the_leeway_in_the_future_is_refused(client, user, settings):
    now = int(time.time())
    iat = now + settings.jwt_leeway_seconds + 60
    await assert_refused(client, forge_token(settings, user.id, sid=session_id_of(user.token), iat=iat, exp=iat + 300))


async def test_an_nbf_beyond_the_leeway_in_the_future_is_refused(client, user, settings):
    nbf = int(time.time()) + settings.jwt_leeway_seconds + 60
    await assert_refused(client, forge_token(settings, user.id, sid=session_id_of(user.token), nbf=nbf))


async def test_a_clock_skew_within_the_leeway_is_accepted(client, user, settings):
    now = int(time.time())
    skew = settings.jwt_leeway_seconds // 2
    ahead = forge_token(settings, user.id, sid=session_id_of(user.token), iat=now + skew, nbf=now + skew)
    just_expired = forge_token(settings, user.id, sid=session_id_of(user.token), iat=now - 600, exp=now - skew)

    for token in (ahead, just_expired):
        response = await client.get("/users/me", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 200, response.text


@pytest.mark.parametrize("settings_overrides", [{"jwt_leeway_seconds": 0}])
async def test_with_no_leeway_a_token_issued_a_moment_ahead_is_refused(client, user, settings):
    now = int(time.time())
    await assert_refused(client, forge_token(settings, user.id, sid=session_id_of(user.token), iat=now + 30))


# --- the role claim ---------------------------------------------------------------------------


async def test_access_tokens_carry_the_role_and_amr(settings, user, admin, guest):
    assert decode(settings, user.token)["role"] == "user"
    assert decode(settings, admin.token)["role"] == "admin"
    assert decode(settings, guest.token)["role"] == "guest"
    assert decode(settings, user.token)["amr"] == ["pwd"]


async def test_gatehouse_authorises_with_its_own_state_never_the_role_claim(client, settings, user, admin, accounts):
    # A validly signed token whose `role` says admin, for a user: still a user inside Gatehouse.
    claims_admin = forge_token(settings, user.id, sid=session_id_of(user.token), role="admin")
    assert (await client.get("/admin/users", headers=bearer(claims_admin))).status_code == 403
    # A demotion applies to the admin's existing token at once, whatever its claim says.
    await accounts.update(admin, role="user")
    assert decode(settings, admin.token)["role"] == "admin"
    assert (await client.get("/admin/users", headers=admin.headers)).status_code == 403


async def test_a_role_claim_that_is_not_a_string_is_refused(client, settings, user):
    await assert_refused(client, forge_token(settings, user.id, sid=session_id_of(user.token), role=["admin"]))
