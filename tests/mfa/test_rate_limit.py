"""POST /auth/jwt/mfa is limited per client by MFA_RATE_LIMIT."""

from __future__ import annotations

import pytest


@pytest.fixture
def settings_overrides():
    return {"mfa_rate_limit": "2/minute"}


async def test_the_mfa_step_is_rate_limited_per_client(client, client_at):
    answers = [await client.post("/auth/jwt/mfa", data={"mfa_token": "x", "otp": "123456"}) for _ in range(3)]
    elsewhere = await client_at("198.51.100.20").post("/auth/jwt/mfa", data={"mfa_token": "x", "otp": "123456"})

    assert [answer.status_code for answer in answers] == [400, 400, 429]
    assert "Retry-After" in answers[2].headers
    assert elsewhere.status_code == 400


def test_the_default_limit_is_ten_a_minute():
    from app.config import Settings

    assert Settings(_env_file=None).mfa_rate_limit == "10/minute"
