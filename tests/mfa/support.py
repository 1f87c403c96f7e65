"""Helpers of the second-factor tests: a movable clock for TOTP codes, enrolment and login."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import httpx
import pyotp
from fastapi import FastAPI

from app.mfa.dependencies import get_clock
from tests.factories import Account

STEP = 30


@dataclass
class TotpClock:
    """The time the service checks codes at; starts now, moves only when told."""

    now: float = field(default_factory=time.time)

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float = STEP) -> None:
        self.now += seconds


def install_clock(app: FastAPI) -> TotpClock:
    clock = TotpClock()
    app.dependency_overrides[get_clock] = lambda: clock
    return clock


@dataclass
class Enrolled:
    account: Account
    secret: str
    recovery_codes: list[str]

    def code(self, at: float, *, steps: int = 0) -> str:
        return pyotp.TOTP(self.secret).at(at, counter_offset=steps)


async def enrol(client: httpx.AsyncClient, account: Account, clock: TotpClock) -> Enrolled:
    """Enrol and confirm a TOTP factor for `account` (the clock moves one step past the code used)."""
    started = await client.post("/users/me/mfa/totp", headers=account.headers)
    assert started.status_code == 201, started.text
    secret = started.json()["secret"]
    confirmed = await client.post(
        "/users/me/mfa/totp/confirm", json={"code": pyotp.TOTP(secret).at(clock.now)}, headers=account.headers
    )
    assert confirmed.status_code == 200, confirmed.text
    clock.advance()
    return Enrolled(account=account, secret=secret, recovery_codes=confirmed.json()["recovery_codes"])


async def password_step(client: httpx.AsyncClient, account: Account) -> httpx.Response:
    return await client.post("/auth/jwt/login", data={"username": account.email, "password": account.password})


async def mfa_token(client: httpx.AsyncClient, account: Account) -> str:
    response = await password_step(client, account)
    assert response.status_code == 403, response.text
    token: str = response.json()["mfa_token"]
    return token


async def second_step(client: httpx.AsyncClient, token: str, **fields: str) -> httpx.Response:
    return await client.post("/auth/jwt/mfa", data={"mfa_token": token, **fields})
