"""Enrolling, confirming, reading, regenerating and disabling the caller's own second factor."""

from __future__ import annotations

import pyotp
import pytest

from tests.mfa.support import enrol, install_clock


@pytest.fixture
def totp_clock(app):
    return install_clock(app)


async def test_enrolment_answers_a_160_bit_secret_its_uri_and_a_qr_code(client, user, settings):
    response = await client.post("/users/me/mfa/totp", headers=user.headers)

    assert response.status_code == 201, response.text
    body = response.json()
    assert len(body["secret"]) * 5 >= 160
    assert body["otpauth_uri"] == pyotp.TOTP(body["secret"]).provisioning_uri(name=user.email, issuer_name="Gatehouse")
    assert body["qr_svg"].startswith("<svg")


async def test_a_pending_factor_changes_nothing_until_confirmed(client, user):
    await client.post("/users/me/mfa/totp", headers=user.headers)

    status = (await client.get("/users/me/mfa", headers=user.headers)).json()
    login = await client.post("/auth/jwt/login", data={"username": user.email, "password": user.password})

    assert status == {"enabled": False, "methods": [], "enrolled_at": None, "recovery_codes_left": 0}
    assert login.status_code == 200


async def test_enrolling_again_replaces_the_pending_secret(client, user, totp_clock):
    first = (await client.post("/users/me/mfa/totp", headers=user.headers)).json()["secret"]
    second = (await client.post("/users/me/mfa/totp", headers=user.headers)).json()["secret"]

    old = await client.post(
        "/users/me/mfa/totp/confirm", json={"code": pyotp.TOTP(first).at(totp_clock.now)}, headers=user.headers
    )
    new = await client.post(
        "/users/me/mfa/totp/confirm", json={"code": pyotp.TOTP(second).at(totp_clock.now)}, headers=user.headers
    )

    assert first != second
    assert old.status_code == 400 and old.json()["detail"] == "MFA_CODE_INVALID"
    assert new.status_code == 200


async def test_confirmation_answers_ten_recovery_codes_and_enables_the_factor(client, user, totp_clock):
    enrolled = await enrol(client, user, totp_clock)

    status = (await client.get("/users/me/mfa", headers=user.headers)).json()

    assert len(enrolled.recovery_codes) == 10 and len(set(enrolled.recovery_codes)) == 10
    assert status["enabled"] is True
    assert status["methods"] == ["totp"]
    assert status["enrolled_at"] is not None
    assert status["recovery_codes_left"] == 10


async def test_a_wrong_confirmation_code_is_refused(client, user):
    await client.post("/users/me/mfa/totp", headers=user.headers)

    response = await client.post("/users/me/mfa/totp/confirm", json={"code": "000000"}, headers=user.headers)

    assert response.status_code == 400
    assert response.json()["detail"] == "MFA_CODE_INVALID"


async def test_enrolling_once_confirmed_is_a_conflict(client, user, totp_clock):
    await enrol(client, user, totp_clock)

    response = await client.post("/users/me/mfa/totp", headers=user.headers)

    assert response.status_code == 409
    assert response.json()["detail"] == "MFA_ALREADY_ENABLED"


async def test_regenerated_recovery_codes_replace_the_old_ones(client, user, totp_clock):
    enrolled = await enrol(client, user, totp_clock)

    response = await client.post(
        "/users/me/mfa/recovery-codes", json={"code": enrolled.code(totp_clock.now)}, headers=user.headers
    )
    disable_with_old = await client.request(
        "DELETE",
        "/users/me/mfa",
        json={"recovery_code": enrolled.recovery_codes[0], "current_password": user.password},
        headers=user.headers,
    )

    assert response.status_code == 200
    fresh = response.json()["recovery_codes"]
    assert len(fresh) == 10 and not set(fresh) & set(enrolled.recovery_codes)
    assert disable_with_old.status_code == 400 and disable_with_old.json()["detail"] == "MFA_CODE_INVALID"


async def test_regeneration_needs_a_right_code(client, user, totp_clock):
    await enrol(client, user, totp_clock)

    response = await client.post("/users/me/mfa/recovery-codes", json={"code": "123456"}, headers=user.headers)

    assert response.status_code == 400
    assert response.json()["detail"] == "MFA_CODE_INVALID"


async def test_disabling_needs_the_current_password(client, user, totp_clock):
    enrolled = await enrol(client, user, totp_clock)

    response = await client.request(
        "DELETE",
        "/users/me/mfa",
        json={"code": enrolled.code(totp_clock.now), "current_password": "not-the-password-at-all"},
        headers=user.headers,
    )

    assert response.status_code == 400
    assert response.json()["detail"] == "CURRENT_PASSWORD_INVALID"


async def test_disabling_with_a_wrong_code_is_refused(client, user, totp_clock):
    await enrol(client, user, totp_clock)

    response = await client.request(
        "DELETE", "/users/me/mfa", json={"code": "000000", "current_password": user.password}, headers=user.headers
    )

    assert response.status_code == 400
    assert response.json()["detail"] == "MFA_CODE_INVALID"


async def test_disabling_removes_the_factor_and_ends_the_other_sessions_only(client, user, totp_clock):
    enrolled = await enrol(client, user, totp_clock)
    token = (await client.post("/auth/jwt/login", data={"username": user.email, "password": user.password})).json()
    totp_clock.advance()
    second = await client.post(
        "/auth/jwt/mfa", data={"mfa_token": token["mfa_token"], "otp": enrolled.code(totp_clock.now)}
    )
    other_headers = {"Authorization": f"Bearer {second.json()['access_token']}"}
    totp_clock.advance()

    response = await client.request(
        "DELETE",
        "/users/me/mfa",
        json={"code": enrolled.code(totp_clock.now), "current_password": user.password},
        headers=user.headers,
    )

    assert response.status_code == 204, response.text
    assert (await client.get("/users/me/mfa", headers=user.headers)).json()["enabled"] is False
    assert (await client.get("/users/me", headers=other_headers)).status_code == 401
    login = await client.post("/auth/jwt/login", data={"username": user.email, "password": user.password})
    assert login.status_code == 200


async def test_disabling_with_a_recovery_code_works(client, user, totp_clock):
    enrolled = await enrol(client, user, totp_clock)

    response = await client.request(
        "DELETE",
        "/users/me/mfa",
        json={"recovery_code": enrolled.recovery_codes[3].upper(), "current_password": user.password},
        headers=user.headers,
    )

    assert response.status_code == 204


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/users/me/mfa/totp", None),
        ("POST", "/users/me/mfa/totp/confirm", {"code": "000000"}),
        ("POST", "/users/me/mfa/recovery-codes", {"code": "000000"}),
        ("DELETE", "/users/me/mfa", {"code": "000000", "current_password": "whatever-it-is"}),
    ],
)
async def test_an_api_key_cannot_change_the_factor(client, user, keys, method, path, body):
    key = await keys.create(user)

    response = await client.request(method, path, json=body, headers=key.headers)

    assert response.status_code == 403
    assert response.json()["detail"] == "API_KEY_NOT_ALLOWED"


async def test_an_api_key_may_read_the_factor_status(client, user, keys):
    key = await keys.create(user)

    response = await client.get("/users/me/mfa", headers=key.headers)

    assert response.status_code == 200
    assert response.json()["enabled"] is False
