"""Crash safety: a real service process under a write load is killed with SIGKILL (its whole
process group: uvicorn's supervisor and every worker, no shutdown of any kind), restarted on the
same database, and so on three times. Then:

* every write acknowledged with a 2xx before a kill is there: each registered account, each
  created item with its owner, each refreshed session still active, with its last acknowledged
  refresh token still exchangeable (REFRESH_TOKEN_REUSE_GRACE_SECONDS is long here, so a token
  whose successor was in flight at the kill may be exchanged again);
* nothing is half-written: the running totals in `user_counts` equal the rows counted by role and
  status, no item, API key or session outlives its account, no refresh token its session;
* on SQLite, `PRAGMA integrity_check` says `ok` after each kill;
* the restarted service answers /ready and takes writes again.

The same test runs on PostgreSQL (2 workers) when TEST_DATABASE_URL is set.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass, field

import httpx
import pytest

from tests.hardening.processes import DEFAULT_WORKERS, ON_POSTGRES, sqlite_integrity
from tests.support import bearer

pytestmark = pytest.mark.processes

SETTINGS = {"PASSWORD_BCRYPT_ROUNDS": "4", "REFRESH_TOKEN_REUSE_GRACE_SECONDS": "300"}
PASSWORD = "a-long-enough-password"
KILLS = 3
ACKS_BEFORE_KILL = 120  # acknowledged writes in each life before the kill
REGISTRARS, ITEM_WRITERS, REFRESHERS = 3, 3, 4


@dataclass
class Chain:
    """A login session refreshed again and again: its last acknowledged tokens."""

    user_id: uuid.UUID
    session_id: str
    refresh_token: str
    access_token: str
    refreshes: int = 0


@dataclass
class Acknowledged:
    emails: list[str] = field(default_factory=list)
    items: dict[uuid.UUID, uuid.UUID] = field(default_factory=dict)  # item -> owner
    chains: list[Chain] = field(default_factory=list)
    requests: int = 0
    unanswered: int = 0  # in flight at a kill: outcome unknown

    @property
    def writes(self) -> int:
        return len(self.emails) + len(self.items) + sum(chain.refreshes for chain in self.chains)


async def register_and_log_in(http: httpx.AsyncClient, email: str) -> dict:
    registered = await http.post("/auth/register", json={"email": email, "password": PASSWORD})
    assert registered.status_code == 201, registered.text
    login = await http.post("/auth/jwt/login", data={"username": email, "password": PASSWORD})
    assert login.status_code == 200, login.text
    return {"id": uuid.UUID(registered.json()["id"]), **login.json()}


async def write_load(url: str, acked: Acknowledged, writers: list[dict], life: int, stop: asyncio.Event) -> None:
    """Registrations, item writes and refreshes from several clients until `stop` (or the
    service stops answering); only 2xx answers are recorded as acknowledged."""

    async def registrar(http: httpx.AsyncClient, number: int) -> None:
        sequence = 0
        while not stop.is_set():
            email = f"crash-{life}-{number}-{sequence}@example.com"
            sequence += 1
            acked.requests += 1
            answer = await http.post("/auth/register", json={"email": email, "password": PASSWORD})
            if answer.status_code == 201:
                acked.emails.append(email)
            else:
                assert answer.status_code == 503, answer.text

    async def item_writer(http: httpx.AsyncClient, writer: dict) -> None:
        while not stop.is_set():
            acked.requests += 1
            answer = await http.post("/items", json={"title": f"life {life}"}, headers=bearer(writer["access_token"]))
            if answer.status_code == 201:
                acked.items[uuid.UUID(answer.json()["id"])] = writer["id"]
            else:
                assert answer.status_code == 503, answer.text

    async def refresher(http: httpx.AsyncClient, chain: Chain) -> None:
        while not stop.is_set():
            acked.requests += 1
            answer = await http.post(
                "/auth/jwt/refresh", data={"grant_type": "refresh_token", "refresh_token": chain.refresh_token}
            )
            if answer.status_code == 200:
                body = answer.json()
                chain.refresh_token, chain.access_token = body["refresh_token"], body["access_token"]
                chain.refreshes += 1
            else:
                assert answer.status_code == 503, answer.text

    async def until_the_service_goes(work) -> None:
        try:
            await work
        except httpx.TransportError:  # the kill: this request's outcome is unknown
            acked.unanswered += 1

    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        tasks = [
            *(registrar(http, n) for n in range(REGISTRARS)),
            *(item_writer(http, writers[n % len(writers)]) for n in range(ITEM_WRITERS)),
            *(refresher(http, chain) for chain in acked.chains),
        ]
        await asyncio.gather(*(until_the_service_goes(task) for task in tasks))


async def test_writes_acknowledged_before_sigkill_survive_and_nothing_is_half_written(launcher, rows, attacks):
    acked = Acknowledged()
    service = await launcher.start_async(workers=DEFAULT_WORKERS, settings=SETTINGS)
    async with httpx.AsyncClient(base_url=service.url, timeout=30) as http:
        writers = [await register_and_log_in(http, f"writer-{n}@example.com") for n in range(ITEM_WRITERS)]
        for n in range(REFRESHERS):
            tokens = await register_and_log_in(http, f"refresher-{n}@example.com")
            sid = (await http.get("/users/me/sessions", headers=bearer(tokens["access_token"]))).json()[0]["id"]
            acked.chains.append(Chain(tokens["id"], sid, tokens["refresh_token"], tokens["access_token"]))
    acked.emails += [f"writer-{n}@example.com" for n in range(ITEM_WRITERS)]
    acked.emails += [f"refresher-{n}@example.com" for n in range(REFRESHERS)]

    for life in range(KILLS):
        stop = asyncio.Event()
        load = asyncio.ensure_future(write_load(service.url, acked, writers, life, stop))
        target = acked.writes + ACKS_BEFORE_KILL
        deadline = time.monotonic() + 60
        while acked.writes < target and not load.done():
            assert time.monotonic() < deadline, f"only {acked.writes} writes acknowledged"
            await asyncio.sleep(0.01)
        await asyncio.to_thread(launcher.kill, service)  # mid-load: requests are in flight
        stop.set()
        await load
        if not ON_POSTGRES:
            assert sqlite_integrity(launcher.database_url) == ["ok"], f"after kill {life + 1}"
        service = await launcher.start_async(workers=DEFAULT_WORKERS, settings=SETTINGS)
    attacks.add(acked.requests)

    # Every acknowledged write is there.
    assert sorted(await rows.emails(acked.emails)) == sorted(acked.emails), "an acknowledged registration is lost"
    assert await rows.items(list(acked.items)) == acked.items, "an acknowledged item is lost or changed owner"
    async with httpx.AsyncClient(base_url=service.url, timeout=30) as http:
        for chain in acked.chains:
            sessions = {str(s.id): s for s in await rows.sessions_of(chain.user_id)}
            assert sessions[chain.session_id].revoked_at is None, "a refreshed session was ended by the crash"
            answer = await http.post(
                "/auth/jwt/refresh", data={"grant_type": "refresh_token", "refresh_token": chain.refresh_token}
            )
            assert answer.status_code == 200, f"the last acknowledged refresh token: {answer.text}"
            assert (await http.get("/users/me", headers=bearer(answer.json()["access_token"]))).status_code == 200

        # Nothing half-written.
        stored, counted = await rows.counts_by_role()
        assert stored == counted, f"user_counts {stored}, users {counted}"
        assert await rows.orphans() == {"items": 0, "api_keys": 0, "auth_sessions": 0, "refresh_tokens": 0}

        # And the service goes on.
        assert (await http.get("/ready")).status_code == 200
        registered = await http.post(
            "/auth/register", json={"email": "after-the-crash@example.com", "password": PASSWORD}
        )
        assert registered.status_code == 201, registered.text
    print(
        f"\ncrash safety: {KILLS} SIGKILLs under load, {acked.writes} writes acknowledged "
        f"({len(acked.emails)} accounts, {len(acked.items)} items, "
        f"{sum(c.refreshes for c in acked.chains)} refreshes), {acked.unanswered} requests cut off, all kept"
    )
    launcher.stop_all()
    if not ON_POSTGRES:
        assert sqlite_integrity(launcher.database_url) == ["ok"]
