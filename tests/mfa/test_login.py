"""The password flow with a second factor: MFA_REQUIRED, then POST /auth/jwt/mfa."""

from __future__ import annotations

import jwt
import pytest
from sqlalchemy import update

from app.db.base import utcnow
from app.mfa.models import MfaChallenge
from tests.factories import WRONG_PASSWORD, log_in
from tests.mfa.support import enrol, install_clock, mfa_token, password_step, second_step


@pytest.fixture
def totp_clock(app):
    return install_clock(app)


@pytest.fixture
async def enrolled(client, user, totp_clock):
    return await enrol(client, user, totp_clock)


def amr_of(response) -> list[str]:
    return jwt.decode(response.json()["access_token"], options={"verify_signature": False})["amr"]


async def test_a_password_login_without_a_factor_carries_amr_pwd(client, user):
    response = await password_step(client, user)

    assert response.status_code == 200
    assert amr_of(response) == ["pwd"]


async def test_the_right_password_of_an_account_with_a_factor_answers_mfa_required_and_no_tokens(
    client, enrolled, settings
):
    response = await password_step(client, enrolled.account)

    assert response.status_code == 403
    body = response.json()
    assert body["detail"] == "MFA_REQUIRED"
    assert body["error"] == "mfa_required"
    assert body["error_description"]
    assert body["expires_in"] == settings.mfa_token_ttl_seconds == 300
    assert body["mfa_token"]
    assert "access_token" not in body and "refresh_token" not in body


async def test_a_wrong_password_answers_as_without_a_factor(client, enrolled, accounts):
    plain = await accounts.create()

    with_factor = await log_in(client, enrolled.account.email)
    without = await log_in(client, plain.email)

    assert with_factor.status_code == without.status_code == 400
    assert with_factor.json() == without.json()


async def test_a_totp_code_completes_the_login_with_amr_otp(client, enrolled, totp_clock):
    token = await mfa_token(client, enrolled.account)

    response = await second_step(client, token, otp=enrolled.code(totp_clock.now))

    assert response.status_code == 200, response.text
    assert response.headers["Cache-Control"] == "no-store"
    assert set(response.json()) == {"access_token", "token_type", "expires_in", "refresh_token"}
    assert amr_of(response) == ["pwd", "otp"]
    me = await client.get("/users/me", headers={"Authorization": f"Bearer {response.json()['access_token']}"})
    assert me.status_code == 200


async def test_a_recovery_code_completes_the_login_with_amr_mfa_once(client, enrolled):
    first = await second_step(
        client, await mfa_token(client, enrolled.account), recovery_code=enrolled.recovery_codes[0]
    )
    again = await second_step(
        client, await mfa_token(client, enrolled.account), recovery_code=enrolled.recovery_codes[0]
    )
    other = await second_step(
        client, await mfa_token(client, enrolled.account), recovery_code=enrolled.recovery_codes[1]
    )

    assert first.status_code == 200 and amr_of(first) == ["pwd", "mfa"]
    assert again.status_code == 400 and again.json()["detail"] == "MFA_CODE_INVALID"
    assert other.status_code == 200
    status = await client.get("/users/me/mfa", headers=enrolled.account.headers)
    assert status.json()["recovery_codes_left"] == 8


async def test_a_totp_code_is_accepted_once_even_within_its_step(client, enrolled, totp_clock):
    code = enrolled.code(totp_clock.now)
    first = await second_step(client, await mfa_token(client, enrolled.account), otp=code)

    again = await second_step(client, await mfa_token(client, enrolled.account), otp=code)

    assert first.status_code == 200
    assert again.status_code == 400
    assert again.json() == {
        "detail": "MFA_CODE_INVALID",
        "message": again.json()["message"],
        "error": "invalid_grant",
        "error_description": again.json()["message"],
    }


@pytest.mark.parametrize("steps", [-1, 1])
async def test_a_code_one_step_off_is_accepted(client, enrolled, totp_clock, steps):
    totp_clock.advance()  # past the step after the confirmation's code, so the step before is unused
    response = await second_step(
        client, await mfa_token(client, enrolled.account), otp=enrolled.code(totp_clock.now, steps=steps)
    )

    assert response.status_code == 200


@pytest.mark.parametrize("steps", [-2, 2])
async def test_a_code_two_steps_off_is_refused(client, enrolled, totp_clock, steps):
    response = await second_step(
        client, await mfa_token(client, enrolled.account), otp=enrolled.code(totp_clock.now, steps=steps)
    )

    assert response.status_code == 400
    assert response.json()["detail"] == "MFA_CODE_INVALID"


async def test_an_mfa_token_is_single_use(client, enrolled, totp_clock):
    token = await mfa_token(client, enrolled.account)
    assert (await second_step(client, token, otp=enrolled.code(totp_clock.now))).status_code == 200
    totp_clock.advance()

    response = await second_step(client, token, otp=enrolled.code(totp_clock.now))

    assert response.status_code == 400
    assert response.json()["detail"] == "MFA_TOKEN_INVALID"
    assert response.json()["error"] == "invalid_grant"


async def test_an_unknown_mfa_token_is_refused(client, enrolled, totp_clock):
    response = await second_step(client, "gatehouse_mfa_made-up", otp=enrolled.code(totp_clock.now))

    assert response.status_code == 400
    assert response.json()["detail"] == "MFA_TOKEN_INVALID"


async def test_an_expired_mfa_token_is_refused(client, app, enrolled, totp_clock):
    token = await mfa_token(client, enrolled.account)
    async with app.state.services.database.sessionmaker() as session:
        await session.execute(update(MfaChallenge).values(expires_at=utcnow()))
        await session.commit()

    response = await second_step(client, token, otp=enrolled.code(totp_clock.now))

    assert response.json()["detail"] == "MFA_TOKEN_INVALID"


async def test_five_wrong_codes_kill_the_mfa_token(client, enrolled, totp_clock):
    token = await mfa_token(client, enrolled.account)
    wrong = [await second_step(client, token, otp="000000") for _ in range(5)]

    response = await second_step(client, token, otp=enrolled.code(totp_clock.now))

    assert [answer.json()["detail"] for answer in wrong] == ["MFA_CODE_INVALID"] * 5
    assert response.json()["detail"] == "MFA_TOKEN_INVALID"


async def test_a_new_password_kills_the_mfa_token(client, enrolled, totp_clock, owners):
    token = await mfa_token(client, enrolled.account)
    await owners.update(enrolled.account, hashed_password="$2b$04$" + "x" * 53)

    response = await second_step(client, token, otp=enrolled.code(totp_clock.now))

    assert response.json()["detail"] == "MFA_TOKEN_INVALID"


async def test_a_missing_code_or_token_is_an_invalid_request(client, enrolled):
    token = await mfa_token(client, enrolled.account)

    without_code = await second_step(client, token)
    without_token = await client.post("/auth/jwt/mfa", data={"otp": "123456"})

    assert without_code.status_code == without_token.status_code == 400
    assert without_code.json()["error"] == without_token.json()["error"] == "invalid_request"


async def test_the_right_password_alone_does_not_reset_the_failure_count(client, enrolled, settings, totp_clock):
    for _ in range(settings.login_max_failures - 1):
        await log_in(client, enrolled.account.email, WRONG_PASSWORD)
    await mfa_token(client, enrolled.account)  # right password: the count stays

    locked = await log_in(client, enrolled.account.email, WRONG_PASSWORD)

    assert "Retry-After" in locked.headers


async def test_wrong_codes_count_toward_the_lockout_and_the_lock_kills_mfa_tokens(
    client, enrolled, settings, totp_clock
):
    for _ in range(settings.login_max_failures - 2):
        await log_in(client, enrolled.account.email, WRONG_PASSWORD)
    outstanding = await mfa_token(client, enrolled.account)
    token = await mfa_token(client, enrolled.account)
    await second_step(client, token, otp="000000")
    last = await second_step(client, token, otp="000000")  # the tenth failure: locked

    after = await second_step(client, outstanding, otp=enrolled.code(totp_clock.now))
    password = await password_step(client, enrolled.account)

    assert last.json()["detail"] == "MFA_CODE_INVALID"
    assert after.json()["detail"] == "MFA_TOKEN_INVALID"
    # Locked: the password step answers exactly as today, with no MFA_REQUIRED hint.
    assert password.status_code == 400
    assert password.json()["detail"] == "LOGIN_BAD_CREDENTIALS"
    assert "Retry-After" in password.headers


async def test_a_completed_login_resets_the_failure_count(client, enrolled, settings, totp_clock):
    for _ in range(settings.login_max_failures - 1):
        await log_in(client, enrolled.account.email, WRONG_PASSWORD)
    token = await mfa_token(client, enrolled.account)
    assert (await second_step(client, token, otp=enrolled.code(totp_clock.now))).status_code == 200

    after = await log_in(client, enrolled.account.email, WRONG_PASSWORD)

    assert "Retry-After" not in after.headers


async def test_a_refresh_keeps_the_sessions_amr(client, enrolled, totp_clock):
    login = await second_step(client, await mfa_token(client, enrolled.account), otp=enrolled.code(totp_clock.now))

    refreshed = await client.post(
        "/auth/jwt/refresh", data={"grant_type": "refresh_token", "refresh_token": login.json()["refresh_token"]}
    )

    assert refreshed.status_code == 200
    assert amr_of(refreshed) == ["pwd", "otp"]
