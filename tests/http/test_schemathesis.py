"""Schema fuzzing: schemathesis against the live OpenAPI document, as admin, user, guest and anonymous.

Each role gets an app and a database of its own (the `app` fixture), with an admin, a user and a
guest in it, and an item, an API key and a spare login session of each, so that path parameters
can name real resources: the caller's own and other people's. schemathesis generates the cases of
every operation from the document served at /openapi.json:

* its coverage phase (deterministic: boundary values, missing and mistyped fields, wrong types
  of parameters, unexpected methods), positive and negative;
* its fuzzing phase, FUZZ_POSITIVE and FUZZ_NEGATIVE cases per operation, drawn by Hypothesis
  with the fixed seed SEED.

Each case is sent in-process (httpx over ASGI, on the test's event loop) with the role's bearer
token (credentials the case generated itself are kept only when fuzzing anonymously), and its
answer is checked by schemathesis: no 5xx, a documented status, a documented content type,
documented headers and a body that matches the documented schema.

Fuzzing can end the caller's own login (logout, ending its own session, a new password set by an
admin), lock it out of its role (an admin demoting itself once the fuzzer created another admin)
or delete it. After every case that may have done so, the caller is asked for (`GET /users/me`);
when it no longer is what the run acts as, a fresh account of the role takes over, with its own
item, key and session, and the run goes on ("renewals" in the figures).

The figures (cases per role and phase, answers by status, failures, renewals, seconds) are printed
in pytest's summary, under pytest-xdist too (tests/reporting.py).
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
import hypothesis
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase
from hypothesis.errors import Unsatisfiable
from hypothesis.internal.conjecture import providers as hypothesis_providers
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.generation import GenerationMode
from schemathesis.generation.case import Case
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from app.core.roles import Role
from tests.factories import Account, Accounts
from tests.reporting import report_figures
from tests.support import insert_api_key, insert_item, session_id_of

SEED = 20261201
FUZZ_POSITIVE = 12
FUZZ_NEGATIVE = 8
# Each role's run must try at least this many cases (4 roles: at least 2,000 in all).
MIN_CASES_PER_ROLE = 500
ROLES = ("admin", "user", "guest", "anonymous")
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
BASE_URL = "http://testserver"
CREDENTIAL_HEADERS = ("authorization", "x-api-key")
# How often a generated path parameter is replaced by the id of a real resource.
REAL_ID_SHARE = 0.75


@dataclass
class Figures:
    cases: dict[str, int] = field(default_factory=dict)  # by phase
    statuses: dict[int, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    renewals: int = 0
    seconds: float = 0.0

    @property
    def total(self) -> int:
        return sum(self.cases.values())

    def line(self, role: str) -> str:
        phases = ", ".join(f"{phase} {count}" for phase, count in sorted(self.cases.items()))
        statuses = " ".join(f"{status}:{count}" for status, count in sorted(self.statuses.items()))
        return (
            f"{role:<9} {self.total:>5} cases ({phases}), {len(self.failures)} failures, "
            f"{self.renewals} renewals, {self.seconds:.1f} s; answers {statuses}"
        )


@pytest.fixture(scope="module")
def figures() -> dict[str, Figures]:
    return {}


# --- the world the run acts in ----------------------------------------------------------------


@dataclass
class World:
    """The accounts and resources path parameters can name, and the account the run acts as."""

    app: Any
    accounts: Accounts
    role: str
    actor: Account | None
    ids: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    async def build(cls, app: Any, accounts: Accounts, role: str, people: dict[str, Account]) -> World:
        world = cls(app=app, accounts=accounts, role=role, actor=people.get(role))
        for account in people.values():
            await world.furnish(account)
        return world

    async def furnish(self, account: Account) -> None:
        """An item, an API key and a spare login session of `account`, to be named in paths."""
        item = await insert_item(self.app, owner_id=account.id)
        key = await insert_api_key(self.app, owner_id=account.id)
        spare = await self.accounts.login(account.email, account.password)
        self.ids.setdefault("user_id", []).append(str(account.id))
        self.ids.setdefault("item_id", []).append(str(item.id))
        self.ids.setdefault("api_key_id", []).append(str(key.id))
        self.ids.setdefault("session_id", []).extend([session_id_of(spare), session_id_of(account.token)])

    @property
    def headers(self) -> dict[str, str]:
        return self.actor.headers if self.actor is not None else {}

    async def still_acting(self, client: httpx.AsyncClient) -> bool:
        if self.actor is None:
            return True
        me = await client.get("/users/me", headers=self.headers)
        return me.status_code == 200 and me.json()["role"] == self.role and me.json()["is_active"]

    async def renew(self) -> None:
        """A fresh account of the role takes over (the old one's resources stay, as others')."""
        self.actor = await self.accounts.create(role=Role(self.role))
        await self.furnish(self.actor)


# --- generating cases ---------------------------------------------------------------------------


def coverage_cases(schema: Any, operation: Any) -> list[Case]:
    config = schema.config.generation_for(operation=operation, phase="coverage")
    modes = [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]
    return list(schema.iter_coverage_cases(operation, generation_modes=modes, generation_config=config))


def fuzzing_cases(operation: Any, mode: GenerationMode, count: int) -> list[Case]:
    drawn: list[Case] = []

    @hypothesis.seed(SEED)
    @hypothesis.settings(
        max_examples=count,
        database=None,
        phases=[Phase.generate],
        deadline=None,
        suppress_health_check=list(HealthCheck),
        verbosity=hypothesis.Verbosity.quiet,
    )
    @hypothesis.given(operation.as_strategy(generation_mode=mode))
    def collect(case: Case) -> None:
        drawn.append(case)

    try:
        collect()
    except Unsatisfiable:  # nothing to negate (an operation without parameters)
        return []
    return drawn


def is_positive(case: Case) -> bool:
    return case.meta is not None and case.meta.generation.mode is GenerationMode.POSITIVE


# --- sending and checking --------------------------------------------------------------------------


def wire_request(case: Case, world: World, rng: random.Random) -> requests.PreparedRequest:
    """The request as schemathesis would put it on the wire (requests' encoding), with the role's
    credentials and, in positive cases, mostly real ids in the path."""
    if is_positive(case):
        for name in list(case.path_parameters or {}):
            if name in world.ids and rng.random() < REAL_ID_SHARE:
                case.path_parameters[name] = rng.choice(world.ids[name])
    kwargs = case.as_transport_kwargs(base_url=BASE_URL)
    headers = dict(kwargs.pop("headers", {}) or {})
    if world.actor is not None:
        headers = {name: value for name, value in headers.items() if name.lower() not in CREDENTIAL_HEADERS}
        headers.update(world.headers)
    kwargs.pop("timeout", None)
    kwargs.pop("verify", None)
    kwargs.pop("allow_redirects", None)
    return requests.Request(headers=headers, **kwargs).prepare()


async def send(client: httpx.AsyncClient, prepared: requests.PreparedRequest) -> httpx.Response:
    body = prepared.body.encode() if isinstance(prepared.body, str) else prepared.body
    return await client.request(
        str(prepared.method), str(prepared.url), headers=dict(prepared.headers), content=body or b""
    )


def may_end_the_actor(case: Case, response: httpx.Response) -> bool:
    return response.status_code == 401 or (case.method.upper() != "GET" and response.status_code < 300)


@pytest.mark.parametrize("role", ROLES)
async def test_fuzzing_the_document_finds_no_server_error_and_no_undocumented_answer(
    role: str,
    app: Any,
    client: httpx.AsyncClient,
    accounts: Accounts,
    admin: Account,
    user: Account,
    guest: Account,
    figures: dict[str, Figures],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Any,
    request: pytest.FixtureRequest,
) -> None:
    monkeypatch.setenv("HYPOTHESIS_STORAGE_DIRECTORY", str(tmp_path / "hypothesis"))
    # Hypothesis also draws constants it finds in the project's loaded modules, so the cases would
    # depend on which other tests ran in the process: the same cases in every run instead.
    monkeypatch.setattr(hypothesis_providers, "_get_local_constants", hypothesis_providers.Constants)
    started = time.monotonic()
    document = (await client.get("/openapi.json")).json()
    schema = schemathesis.openapi.from_dict(document)
    world = await World.build(app, accounts, role, {"admin": admin, "user": user, "guest": guest})
    rng = random.Random(f"{SEED}:{role}")
    tally = figures.setdefault(role, Figures())

    operations = [result.ok() for result in schema.get_all_operations()]
    for operation in operations:
        batches = {
            "coverage": coverage_cases(schema, operation),
            "fuzzing": fuzzing_cases(operation, GenerationMode.POSITIVE, FUZZ_POSITIVE)
            + fuzzing_cases(operation, GenerationMode.NEGATIVE, FUZZ_NEGATIVE),
        }
        for phase, cases in batches.items():
            for case in cases:
                prepared = wire_request(case, world, rng)
                response = await send(client, prepared)
                tally.cases[phase] = tally.cases.get(phase, 0) + 1
                tally.statuses[response.status_code] = tally.statuses.get(response.status_code, 0) + 1
                try:
                    case.validate_response(response, checks=CHECKS, headers=dict(prepared.headers))
                except FailureGroup as failed:
                    reported = "; ".join(sorted({failure.title for failure in failed.exceptions}))
                    tally.failures.append(
                        f"{operation.label} as {role}: {response.status_code} {reported}\n"
                        f"    {prepared.method} {prepared.url} body={prepared.body!r:.300}\n"
                        f"    answer: {response.text[:300]}"
                    )
                if may_end_the_actor(case, response) and not await world.still_acting(client):
                    await world.renew()
                    tally.renewals += 1
    tally.seconds = time.monotonic() - started
    report_figures(
        request.node,
        f"schema fuzzing (schemathesis {schemathesis.__version__}, seed {SEED})",
        tally.line(role),
        {"cases": tally.total, "failures": len(tally.failures)},
    )

    assert tally.total >= MIN_CASES_PER_ROLE, f"only {tally.total} cases as {role}"
    assert not tally.failures, f"{len(tally.failures)} failures as {role}:\n" + "\n".join(tally.failures[:40])
