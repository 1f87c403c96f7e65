"""`GET /metrics`: served only when enabled, behind its token when one is set, and every metric
family moves when the event it counts happens (measured as the change across the event: the
counters belong to the test process, shared by every app it builds)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pyotp
import pytest

from app.db.base import utcnow
from app.mail.models import MailStatus
from tests.factories import DEFAULT_PASSWORD
from tests.http.metrics_support import Scrape, scrape
from tests.mail.support import set_rows
from tests.mfa.support import enrol, install_clock, mfa_token, second_step

METRICS_TOKEN = "scrape-token-" + "s" * 32
enabled = pytest.mark.parametrize("settings_overrides", [{"metrics_enabled": True}], indirect=True)


def with_settings(**values: object) -> pytest.MarkDecorator:
    return pytest.mark.parametrize("settings_overrides", [{"metrics_enabled": True, **values}], indirect=True)


@pytest.fixture
def settings_overrides(request: pytest.FixtureRequest) -> dict[str, object]:
    return dict(getattr(request, "param", {}))


# --- the route -------------------------------------------------------------------------------
async def test_metrics_are_not_served_unless_enabled(client):
    response = await client.get("/metrics")

    assert response.status_code == 404


@enabled
async def test_metrics_are_served_in_the_prometheus_text_format(client):
    await client.get("/health")

    response = await client.get("/metrics")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    assert (
        Scrape(response.text).value("gatehouse_http_requests_total", route="/health", method="GET", status="200") >= 1
    )


@with_settings(metrics_token=METRICS_TOKEN)
@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer wrong-token", f"Basic {METRICS_TOKEN}", f"Bearer {METRICS_TOKEN}x", METRICS_TOKEN, "Bearer"],
    ids=["none", "wrong", "basic", "longer", "no-scheme", "empty"],
)
async def test_with_a_token_set_a_scrape_without_it_is_401(client, authorization):
    headers = {"Authorization": authorization} if authorization is not None else {}

    response = await client.get("/metrics", headers=headers)

    assert response.status_code == 401
    assert response.json()["detail"] == "NOT_AUTHENTICATED"
    assert response.headers["www-authenticate"] == "Bearer"


@with_settings(metrics_token=METRICS_TOKEN)
async def test_with_a_token_set_a_scrape_with_it_is_200(client):
    response = await client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})

    assert response.status_code == 200
    assert "gatehouse_logins_total" in response.text


@enabled
async def test_the_metrics_route_is_not_in_the_api_document(client):
    paths = (await client.get("/openapi.json")).json()["paths"]

    assert "/metrics" not in paths


# --- requests ----------------------------------------------------------------------------------
@enabled
async def test_requests_are_counted_by_route_template_method_and_status_and_timed(client, admin):
    labels = {"route": "/admin/users/{user_id}", "method": "GET"}
    before = await scrape(client)

    for _ in range(3):
        await client.get(f"/admin/users/{uuid.uuid4()}", headers=admin.headers)
    after = await scrape(client)

    counted = "gatehouse_http_requests_total"
    assert after.value(counted, **labels, status="404") - before.value(counted, **labels, status="404") == 3
    timed = "gatehouse_http_request_duration_seconds_count"
    assert after.value(timed, **labels) - before.value(timed, **labels) == 3
    assert all("/admin/users/" not in route or "{user_id}" in route for route in routes_of(after))


def routes_of(result: Scrape) -> set[str]:
    return {dict(labels).get("route", "") for name, labels in result.samples if name.startswith("gatehouse_http")}


@enabled
async def test_a_path_no_route_has_is_counted_as_unmatched(client):
    before = await scrape(client)

    await client.get("/no/such/path/" + uuid.uuid4().hex)
    await client.request("BREW", "/health")
    after = await scrape(client)

    unmatched = {"route": "unmatched", "method": "GET", "status": "404"}
    assert (
        after.value("gatehouse_http_requests_total", **unmatched)
        - before.value("gatehouse_http_requests_total", **unmatched)
        == 1
    )
    assert not any("no/such" in route for route in routes_of(after))
    assert after.value("gatehouse_http_requests_total", route="/health", method="other", status="405") >= 1


# --- logins, registrations, refreshes ------------------------------------------------------------
async def login(client, email: str, password: str = DEFAULT_PASSWORD):
    return await client.post("/auth/jwt/login", data={"username": email, "password": password})


def logins(result: Scrape, outcome: str) -> float:
    return result.value("gatehouse_logins_total", outcome=outcome)


@with_settings(login_max_failures=1)
async def test_logins_are_counted_by_outcome(client, accounts):
    account = await accounts.create(login=False)
    before = await scrape(client)

    assert (await login(client, account.email)).status_code == 200
    assert (await login(client, account.email, "a-wrong-password-123")).status_code == 400  # locks (1 failure)
    assert (await login(client, account.email)).status_code == 400  # locked
    after = await scrape(client)

    assert logins(after, "succeeded") - logins(before, "succeeded") == 1
    assert logins(after, "bad_credentials") - logins(before, "bad_credentials") == 1
    assert logins(after, "locked") - logins(before, "locked") == 1


@with_settings(login_rate_limit="1/minute")
async def test_a_rate_limited_login_is_a_login_outcome_and_a_rejection_of_its_route(client, accounts):
    account = await accounts.create(login=False)
    before = await scrape(client)

    await login(client, account.email)
    assert (await login(client, account.email)).status_code == 429
    after = await scrape(client)

    assert logins(after, "rate_limited") - logins(before, "rate_limited") == 1
    rejected = {"route": "/auth/jwt/login"}
    assert (
        after.value("gatehouse_rate_limit_rejections_total", **rejected)
        - before.value("gatehouse_rate_limit_rejections_total", **rejected)
        == 1
    )


@enabled
async def test_a_login_refused_by_a_full_hash_queue_is_busy(app, client, accounts):
    account = await accounts.create(login=False)
    passwords = app.state.services.passwords
    before = await scrape(client)

    admitted, passwords._admitted = passwords._admitted, passwords.queue_limit
    try:
        assert (await login(client, account.email)).status_code == 503
    finally:
        passwords._admitted = admitted
    after = await scrape(client)

    assert logins(after, "busy") - logins(before, "busy") == 1
    assert (
        after.value("gatehouse_password_hash_refusals_total") - before.value("gatehouse_password_hash_refusals_total")
        == 1
    )


@with_settings(require_verified_email=True)
async def test_a_right_password_for_an_unverified_account_is_counted_unverified(client, accounts):
    account = await accounts.create(login=False)
    await accounts.update(account, is_verified=False)
    before = await scrape(client)

    assert (await login(client, account.email)).status_code == 400
    after = await scrape(client)

    assert logins(after, "unverified") - logins(before, "unverified") == 1


@enabled
async def test_a_login_with_a_second_factor_counts_mfa_required_then_the_second_step(app, client, user):
    clock = install_clock(app)
    enrolled = await enrol(client, user, clock)
    before = await scrape(client)

    token = await mfa_token(client, user)
    right = pyotp.TOTP(enrolled.secret).at(clock.now)
    assert (await second_step(client, token, otp="000000" if right != "000000" else "111111")).status_code == 400
    clock.advance()
    assert (await second_step(client, token, otp=pyotp.TOTP(enrolled.secret).at(clock.now))).status_code == 200
    after = await scrape(client)

    assert logins(after, "mfa_required") - logins(before, "mfa_required") == 1
    assert logins(after, "succeeded") == logins(before, "succeeded")  # the password step did not complete it
    mfa = "gatehouse_mfa_logins_total"
    assert after.value(mfa, outcome="code_invalid") - before.value(mfa, outcome="code_invalid") == 1
    assert after.value(mfa, outcome="succeeded") - before.value(mfa, outcome="succeeded") == 1


@enabled
async def test_registrations_are_counted(client):
    before = await scrape(client)

    created = await client.post("/auth/register", json={"email": "new@example.com", "password": DEFAULT_PASSWORD})
    duplicate = await client.post("/auth/register", json={"email": "new@example.com", "password": DEFAULT_PASSWORD})
    after = await scrape(client)

    assert (created.status_code, duplicate.status_code) == (201, 400)
    assert after.value("gatehouse_registrations_total") - before.value("gatehouse_registrations_total") == 1


async def refresh(client, token: str):
    return await client.post("/auth/jwt/refresh", data={"grant_type": "refresh_token", "refresh_token": token})


def refreshes(result: Scrape, outcome: str) -> float:
    return result.value("gatehouse_refreshes_total", outcome=outcome)


@with_settings(refresh_token_reuse_grace_seconds=10)
async def test_refreshes_are_counted_rotated_grace_and_invalid(client, accounts):
    account = await accounts.create(login=False)
    first = (await login(client, account.email)).json()["refresh_token"]
    before = await scrape(client)

    assert (await refresh(client, first)).status_code == 200  # rotated
    assert (await refresh(client, first)).status_code == 200  # the same token again, within the grace
    assert (await refresh(client, "gatehouse_rt_" + "x" * 43)).status_code == 400  # invalid
    after = await scrape(client)

    for outcome, count in (("rotated", 1), ("grace", 1), ("invalid", 1), ("reuse_detected", 0)):
        assert refreshes(after, outcome) - refreshes(before, outcome) == count, outcome


@with_settings(refresh_token_reuse_grace_seconds=0)
async def test_a_reused_refresh_token_is_counted_once_as_reuse_detected(client, accounts):
    account = await accounts.create(login=False)
    first = (await login(client, account.email)).json()["refresh_token"]
    assert (await refresh(client, first)).status_code == 200
    before = await scrape(client)

    assert (await refresh(client, first)).status_code == 400  # reuse: the session is revoked
    assert (await refresh(client, first)).status_code == 400  # the session is gone: invalid
    after = await scrape(client)

    assert refreshes(after, "reuse_detected") - refreshes(before, "reuse_detected") == 1
    assert refreshes(after, "invalid") - refreshes(before, "invalid") == 1


# --- the machinery -------------------------------------------------------------------------------
@enabled
async def test_the_password_hash_queue_depth_and_wait_are_measured(app, client, accounts):
    account = await accounts.create(login=False)
    passwords = app.state.services.passwords
    before = await scrape(client)

    with passwords.admission():
        during = await scrape(client)
    await login(client, account.email)
    after = await scrape(client)

    depth = "gatehouse_password_hash_queue_depth"
    assert during.value(depth) - before.value(depth) == 1
    assert after.value(depth) == before.value(depth)
    waited = "gatehouse_password_hash_wait_seconds_count"
    assert after.value(waited) - before.value(waited) >= 1
    hashed = "gatehouse_password_hash_duration_seconds_count"
    assert after.value(hashed) - before.value(hashed) >= 1


@enabled
async def test_auth_cache_hits_and_misses_are_counted(client, user):
    before = await scrape(client)

    await client.get("/users/me", headers=user.headers)
    await client.get("/users/me", headers=user.headers)
    after = await scrape(client)

    lookups = "gatehouse_auth_cache_lookups_total"
    for cache in ("claims", "users", "sessions"):
        hits = after.value(lookups, cache=cache, result="hit") - before.value(lookups, cache=cache, result="hit")
        assert hits >= 1, cache
    assert after.value(lookups, cache="api_keys", result="miss") == before.value(
        lookups, cache="api_keys", result="miss"
    )


@enabled
async def test_an_unknown_api_key_is_a_cache_miss(client, user, keys):
    key = await keys.create(user)
    before = await scrape(client)

    await client.get("/users/me", headers=key.headers)
    await client.get("/users/me", headers=key.headers)
    after = await scrape(client)

    lookups = "gatehouse_auth_cache_lookups_total"
    assert (
        after.value(lookups, cache="api_keys", result="hit") - before.value(lookups, cache="api_keys", result="hit")
        >= 1
    )


@enabled
async def test_database_connections_in_use_are_shown(app, client):
    engine = app.state.services.database.engine
    in_use = "gatehouse_db_pool_connections_in_use"

    # The gauge is the process's: in a test run, the pools of the other apps this test process
    # keeps running share it, and their background tasks (mail sender, pruner, change-feed
    # poller) hold a connection now and then. So it is read as a change, and a reading that one
    # of them disturbed is taken again: a gauge that does not follow checkouts never shows the step.
    readings = []
    for _ in range(5):
        before = (await scrape(client)).value(in_use)
        async with engine.connect(), engine.connect(), engine.connect():
            during = (await scrape(client)).value(in_use)
        after = (await scrape(client)).value(in_use)
        readings.append((before, during, after))
        if during - before >= 2 and during - after >= 2 and after - before <= 1:
            break
    else:
        raise AssertionError(f"the gauge did not follow 3 checkouts and their return: {readings}")


@enabled
async def test_the_mail_outbox_pending_and_failed_are_counted_from_the_database(app, client):
    empty = await scrape(client)
    await client.post("/auth/register", json={"email": "one@example.com", "password": DEFAULT_PASSWORD})
    await client.post("/auth/register", json={"email": "two@example.com", "password": DEFAULT_PASSWORD})

    await set_rows(app, status=MailStatus.PENDING, next_attempt_at=utcnow() + timedelta(hours=1), sent_at=None)
    pending = await scrape(client)
    await set_rows(app, status=MailStatus.FAILED)
    failed = await scrape(client)

    outbox = "gatehouse_mail_outbox_messages"
    assert (empty.value(outbox, status="pending"), empty.value(outbox, status="failed")) == (0, 0)
    assert (empty.samples.get((outbox, frozenset({("status", "pending")})))) == 0  # shown at 0, not left out
    assert (pending.value(outbox, status="pending"), pending.value(outbox, status="failed")) == (2, 0)
    assert (failed.value(outbox, status="pending"), failed.value(outbox, status="failed")) == (0, 2)


@enabled
async def test_a_scrape_without_the_database_still_shows_the_counters(app, client, monkeypatch):
    await client.get("/health")
    session_class = app.state.services.database.sessionmaker.class_
    execute = session_class.execute

    async def outbox_unreachable(self, statement, *args, **kwargs):
        if "mail_outbox" in str(statement):  # only the scrape's query: the workers' own go on
            raise ConnectionRefusedError("the database is down")
        return await execute(self, statement, *args, **kwargs)

    with monkeypatch.context() as patched:
        patched.setattr(session_class, "execute", outbox_unreachable)
        result = await scrape(client)

    assert result.value("gatehouse_http_requests_total", route="/health", method="GET", status="200") >= 1
    assert not any(name == "gatehouse_mail_outbox_messages" for name, _ in result.samples)
