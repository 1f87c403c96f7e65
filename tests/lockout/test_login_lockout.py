"""Consecutive failed logins lock an account's password login, whatever address they come from."""

import asyncio

from sqlalchemy import select

from app.lockout.models import LoginLockout
from tests.factories import WRONG_PASSWORD, log_in

MAX_FAILURES = 10  # the default LOGIN_MAX_FAILURES


def assert_wrong_password_answer(response):
    assert response.status_code == 400
    assert response.json()["detail"] == "LOGIN_BAD_CREDENTIALS"
    assert response.json()["error"] == "invalid_grant"


async def test_failures_from_many_addresses_lock_the_account(client_at, accounts):
    account = await accounts.create(login=False)
    for i in range(MAX_FAILURES - 1):
        response = await log_in(client_at(f"198.51.100.{i + 1}"), account.email)
        assert_wrong_password_answer(response)
        assert "Retry-After" not in response.headers
    locking = await log_in(client_at("198.51.100.99"), account.email)
    assert_wrong_password_answer(locking)
    assert 1 <= int(locking.headers["Retry-After"]) <= 60

    locked = await log_in(client_at("192.0.2.1"), account.email, account.password)
    assert_wrong_password_answer(locked)
    assert 1 <= int(locked.headers["Retry-After"]) <= 60


async def test_a_locked_answer_is_the_wrong_password_answer_plus_retry_after(client, accounts):
    account = await accounts.create(login=False)
    for _ in range(MAX_FAILURES - 1):
        wrong = await log_in(client, account.email)
    await log_in(client, account.email)
    locked = await log_in(client, account.email, account.password)
    assert locked.status_code == wrong.status_code
    assert locked.json() == wrong.json()
    assert set(locked.headers) - set(wrong.headers) == {"retry-after"}


async def test_fewer_failures_than_the_threshold_do_not_lock(client, accounts):
    account = await accounts.create(login=False)
    for _ in range(MAX_FAILURES - 1):
        await log_in(client, account.email)
    assert (await log_in(client, account.email, account.password)).status_code == 200


async def test_a_successful_login_resets_the_count(client, accounts):
    account = await accounts.create(login=False)
    for _ in range(MAX_FAILURES - 1):
        await log_in(client, account.email)
    assert (await log_in(client, account.email, account.password)).status_code == 200
    for _ in range(MAX_FAILURES - 1):
        assert "Retry-After" not in (await log_in(client, account.email)).headers
    assert (await log_in(client, account.email, account.password)).status_code == 200


async def test_the_email_is_matched_whatever_its_case(client, accounts):
    account = await accounts.create(login=False)
    for i in range(MAX_FAILURES):
        await log_in(client, account.email.upper() if i % 2 else f"  {account.email} ")
    assert "Retry-After" in (await log_in(client, account.email, account.password)).headers


async def test_the_lock_ends_and_each_further_failure_locks_longer(client, accounts, clock):
    account = await accounts.create(login=False)
    for _ in range(MAX_FAILURES):
        await log_in(client, account.email)
    await clock.end_all_locks()
    second = await log_in(client, account.email)
    assert 60 < int(second.headers["Retry-After"]) <= 120
    await clock.end_all_locks()
    third = await log_in(client, account.email)
    assert 120 < int(third.headers["Retry-After"]) <= 240
    await clock.end_all_locks()
    assert (await log_in(client, account.email, account.password)).status_code == 200


async def test_attempts_during_a_lock_do_not_extend_it(client, accounts, app):
    account = await accounts.create(login=False)
    for _ in range(MAX_FAILURES):
        await log_in(client, account.email)
    async with app.state.services.database.sessionmaker() as session:
        before = (await session.scalars(select(LoginLockout))).one()
    for _ in range(3):
        await log_in(client, account.email)
    async with app.state.services.database.sessionmaker() as session:
        after = (await session.scalars(select(LoginLockout))).one()
    assert (after.failed_count, after.locked_until) == (before.failed_count, before.locked_until)


async def test_concurrent_failures_are_all_counted(client, accounts):
    account = await accounts.create(login=False)
    await asyncio.gather(*(log_in(client, account.email) for _ in range(MAX_FAILURES)))
    assert "Retry-After" in (await log_in(client, account.email, account.password)).headers


async def test_unknown_emails_are_counted_and_locked_like_real_ones(client, accounts):
    account = await accounts.create(login=False)
    unknown = "nobody-here@example.com"
    for _ in range(MAX_FAILURES + 2):
        real = await log_in(client, account.email)
        ghost = await log_in(client, unknown)
        assert (ghost.status_code, ghost.json()) == (real.status_code, real.json())
        assert ("Retry-After" in ghost.headers) == ("Retry-After" in real.headers)
    assert "Retry-After" in ghost.headers


async def test_no_email_is_stored_for_failed_logins(client, app):
    email = "nobody-here@example.com"
    for _ in range(MAX_FAILURES):
        await log_in(client, email)
    async with app.state.services.database.sessionmaker() as session:
        rows = (await session.scalars(select(LoginLockout))).all()
    assert len(rows) == 1
    assert rows[0].failed_count == MAX_FAILURES
    assert email not in rows[0].key
    assert len(rows[0].key) == 64


async def test_every_answer_costs_one_password_verification(client, accounts, app, monkeypatch):
    passwords = app.state.services.passwords
    account = await accounts.create(login=False)
    await passwords.burn_verify("prepare the dummy hash")
    verifications = []
    real_verify = passwords.verify_and_update

    def counting_verify(password, hashed):
        verifications.append(password)
        return real_verify(password, hashed)

    monkeypatch.setattr(passwords, "verify_and_update", counting_verify)

    async def cost(email, password=WRONG_PASSWORD):
        verifications.clear()
        await log_in(client, email, password)
        return len(verifications)

    assert await cost(account.email) == 1  # wrong password
    assert await cost("nobody-here@example.com") == 1  # unknown email
    assert await cost(account.email, account.password) == 1  # success
    for _ in range(MAX_FAILURES):
        await log_in(client, account.email)
        await log_in(client, "nobody-here@example.com")
    assert await cost(account.email, account.password) == 1  # locked account
    assert await cost("nobody-here@example.com") == 1  # locked unknown email


async def test_the_owner_can_reset_the_password_and_that_lifts_the_lock(client, accounts, notifier):
    account = await accounts.create(login=False)
    for _ in range(MAX_FAILURES):
        await log_in(client, account.email)
    assert (await client.post("/auth/forgot-password", json={"email": account.email})).status_code == 202
    token = notifier.reset_tokens[account.email]
    new_password = "a-brand-new-long-password"
    reset = await client.post("/auth/reset-password", json={"token": token, "password": new_password})
    assert reset.status_code == 200, reset.text
    assert (await log_in(client, account.email, new_password)).status_code == 200
