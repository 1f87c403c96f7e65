"""Escalation and object access (OWASP API Security Top 10 2023): API3 property-level
authorization, API1 object-level authorization (BOLA) and API5 function-level authorization.

The routes come from the app's OpenAPI document, so a new route is attacked, or fails a coverage
test until it is placed in a table here:

* **Writable fields** (API3): every operation outside /admin that takes a body is a *writer* of
  one table. Every column of that table that the operation's request schema does not offer
  (role, is_superuser, is_active, is_verified, id, owner_id, user_id, hashed_password, timestamps,
  ...) is sent with a value an attacker would want, one field per case and all at once. The row
  written or changed must not take it, and no other account's row may change.
* **Foreign objects** (API1): every operation outside /admin with a path parameter is called on
  another user's object by callers who do not own it: the answer is the one a missing object
  gets (404, or the role's 403 before any look-up), byte for byte, with none of the owner's data,
  and the object is unchanged afterwards. Lists never show another user's objects.
* **Admin functions** (API5): every /admin operation, with escalating bodies (role admin), called
  by a user or guest (token or API key) on themselves, or by an admin's API key capped at user or
  guest on another user: 403; without credentials: 401; nothing changed. (tests/http/
  test_route_access.py's table checks each route's answer per role and per kind of bad token with
  neutral bodies; this suite adds the self-targeted, escalating bodies and the capped keys.)
* **API keys capped below their owner**: a key never acts above its cap, never mints a key above
  its caller, and never changes how its owner logs in.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import Boolean, DateTime, Enum, func, select
from sqlalchemy.orm import DeclarativeBase

from app.api_keys.models import ApiKey
from app.core.roles import Role
from app.items.models import Item
from app.users.models import User
from app.users.models import columns as user_columns
from tests.factories import DEFAULT_PASSWORD, Account, IssuedKey
from tests.support import bearer, session_id_of

ATTACKER_PASSWORD = "an-attacker-chosen-password"
INJECTED_TIME = "2001-02-03T04:05:06Z"
SECRET_TITLE = "the victim's private item"


# --- the world each test attacks ----------------------------------------------------------------


@dataclass
class World:
    app: Any
    client: httpx.AsyncClient
    notifier: Any
    accounts: Any
    caller: Account  # a user: the attacker
    victim: Account  # another user, whose objects are attacked
    guest: Account
    admin: Account
    caller_item_id: uuid.UUID
    victim_item_id: uuid.UUID
    caller_key: IssuedKey
    victim_key: IssuedKey
    admin_user_key: IssuedKey  # an admin's key capped at user
    admin_guest_key: IssuedKey  # an admin's key capped at guest

    async def row(self, model: type[DeclarativeBase], key: Any) -> Any:
        async with self.app.state.services.database.sessionmaker() as db:
            return await db.get(model, key)

    async def user_by_email(self, email: str) -> User | None:
        async with self.app.state.services.database.sessionmaker() as db:
            found: User | None = await db.scalar(select(User).where(user_columns.email == email))
            return found

    async def count(self, model: type[DeclarativeBase]) -> int:
        async with self.app.state.services.database.sessionmaker() as db:
            return int(await db.scalar(select(func.count()).select_from(model)) or 0)

    async def victims_state(self) -> dict[str, Any]:
        """What must never change for the victim: the account, the item and the key."""
        user, item, key = (
            await self.row(User, self.victim.id),
            await self.row(Item, self.victim_item_id),
            await self.row(ApiKey, self.victim_key.id),
        )
        return {
            "user": None if user is None else columns_of(user),
            "item": None if item is None else columns_of(item),
            "key": None if key is None else columns_of(key),
        }

    async def assert_victim_can_still_act(self) -> None:
        assert (await self.client.get("/users/me", headers=self.victim.headers)).status_code == 200
        assert (await self.client.get("/items", headers=self.victim_key.headers)).status_code == 200


def columns_of(row: Any) -> dict[str, Any]:
    return {column.key: getattr(row, column.key) for column in row.__table__.columns}


@pytest.fixture
async def world(app, client, notifier, accounts, keys, user, guest, admin) -> World:
    victim = await accounts.create(role=Role.USER)

    async def item_of(account: Account, title: str) -> uuid.UUID:
        response = await client.post("/items", json={"title": title}, headers=account.headers)
        assert response.status_code == 201, response.text
        return uuid.UUID(response.json()["id"])

    return World(
        app=app,
        client=client,
        notifier=notifier,
        accounts=accounts,
        caller=user,
        victim=victim,
        guest=guest,
        admin=admin,
        caller_item_id=await item_of(user, "the caller's item"),
        victim_item_id=await item_of(victim, SECRET_TITLE),
        caller_key=await keys.create(user, name="caller's key"),
        victim_key=await keys.create(victim, name="victim's key"),
        admin_user_key=await keys.create(admin, name="admin capped at user", role="user"),
        admin_guest_key=await keys.create(admin, name="admin capped at guest", role="guest"),
    )


def _document() -> dict[str, Any]:
    """The OpenAPI document, at collection time (it does not depend on the settings)."""
    from app.config import Settings
    from app.main import create_app

    settings = Settings(_env_file=None, database_url="sqlite+aiosqlite:///unused.db", secret_key="c" * 40)  # type: ignore[call-arg]
    return dict(create_app(settings).openapi())


DOCUMENT = _document()
COMPONENTS: dict[str, Any] = DOCUMENT["components"]["schemas"]
OPERATIONS = [
    (method.upper(), path, operation)
    for path, operations in DOCUMENT["paths"].items()
    for method, operation in operations.items()
]
DOCUMENTED = {(method, path) for method, path, _ in OPERATIONS}


def operation_of(method: str, path: str) -> dict[str, Any]:
    return next(operation for m, p, operation in OPERATIONS if (m, p) == (method, path))


def body_schema_name(operation: dict[str, Any]) -> str | None:
    content = operation.get("requestBody", {}).get("content", {})
    if not content:
        return None
    return str(next(iter(content.values()))["schema"].get("$ref", "").rsplit("/", 1)[-1])


def is_admin_route(path: str) -> bool:
    return path.startswith("/admin/") or path == "/admin"


# --- API3: writable fields -----------------------------------------------------------------------


@dataclass(frozen=True)
class Writer:
    """An operation that writes a row of `model` on behalf of its caller. `send` makes the request
    with the injected fields merged into a valid body and returns the answer and the row it wrote
    or changed (None when nothing was written); `baseline` is a row the same operation writes
    without injection (or the row before the change)."""

    model: type[DeclarativeBase]
    send: Callable[[World, dict[str, Any]], Awaitable[tuple[httpx.Response, Any]]]
    baseline: Callable[[World], Awaitable[Any]]
    changes_a_row: bool  # False: creates one


async def _register(world: World, extra: dict[str, Any]) -> tuple[httpx.Response, Any]:
    email = f"new-{uuid.uuid4().hex[:10]}@example.com"
    response = await world.client.post("/auth/register", json={**extra, "email": email, "password": DEFAULT_PASSWORD})
    return response, await world.user_by_email(email)


async def _register_baseline(world: World) -> Any:
    return (await _register(world, {}))[1]


async def _update_me(world: World, extra: dict[str, Any]) -> tuple[httpx.Response, Any]:
    response = await world.client.patch("/users/me", json=extra, headers=world.caller.headers)
    return response, await world.row(User, world.caller.id)


async def _caller_row(world: World) -> Any:
    return await world.row(User, world.caller.id)


async def _reset_password(world: World, extra: dict[str, Any]) -> tuple[httpx.Response, Any]:
    assert (await world.client.post("/auth/forgot-password", json={"email": world.caller.email})).status_code == 202
    token = world.notifier.reset_tokens[world.caller.email]
    response = await world.client.post(
        "/auth/reset-password", json={**extra, "token": token, "password": "a-brand-new-password"}
    )
    assert response.status_code == 200, response.text  # the reset itself is legitimate
    return response, await world.row(User, world.caller.id)


async def _unverified(world: World) -> Account:
    email = f"unverified-{uuid.uuid4().hex[:10]}@example.com"
    registered = await world.client.post("/auth/register", json={"email": email, "password": DEFAULT_PASSWORD})
    assert registered.status_code == 201, registered.text
    return Account(id=uuid.UUID(registered.json()["id"]), email=email, password=DEFAULT_PASSWORD, role=Role.USER)


async def _verify(world: World, extra: dict[str, Any]) -> tuple[httpx.Response, Any]:
    account = await _unverified(world)
    assert (await world.client.post("/auth/request-verify-token", json={"email": account.email})).status_code == 202
    token = world.notifier.verify_tokens[account.email]
    response = await world.client.post("/auth/verify", json={**extra, "token": token})
    assert response.status_code == 200, response.text
    return response, await world.row(User, account.id)


async def _verify_baseline(world: World) -> Any:
    return (await _verify(world, {}))[1]


async def _create_item(world: World, extra: dict[str, Any]) -> tuple[httpx.Response, Any]:
    response = await world.client.post("/items", json={**extra, "title": "mine"}, headers=world.caller.headers)
    row = await world.row(Item, uuid.UUID(response.json()["id"])) if response.status_code == 201 else None
    return response, row


async def _create_item_baseline(world: World) -> Any:
    return (await _create_item(world, {}))[1]


async def _update_item(world: World, extra: dict[str, Any]) -> tuple[httpx.Response, Any]:
    response = await world.client.patch(
        f"/items/{world.caller_item_id}", json={**extra, "title": "renamed"}, headers=world.caller.headers
    )
    return response, await world.row(Item, world.caller_item_id)


async def _caller_item(world: World) -> Any:
    return await world.row(Item, world.caller_item_id)


async def _create_key(world: World, extra: dict[str, Any]) -> tuple[httpx.Response, Any]:
    response = await world.client.post("/api-keys", json={**extra, "name": "minted"}, headers=world.caller.headers)
    row = await world.row(ApiKey, uuid.UUID(response.json()["id"])) if response.status_code == 201 else None
    return response, row


async def _create_key_baseline(world: World) -> Any:
    return (await _create_key(world, {}))[1]


WRITERS: dict[tuple[str, str], Writer] = {
    ("POST", "/auth/register"): Writer(User, _register, _register_baseline, changes_a_row=False),
    ("PATCH", "/users/me"): Writer(User, _update_me, _caller_row, changes_a_row=True),
    ("POST", "/auth/reset-password"): Writer(User, _reset_password, _caller_row, changes_a_row=True),
    ("POST", "/auth/verify"): Writer(User, _verify, _verify_baseline, changes_a_row=True),
    ("POST", "/items"): Writer(Item, _create_item, _create_item_baseline, changes_a_row=False),
    ("PATCH", "/items/{item_id}"): Writer(Item, _update_item, _caller_item, changes_a_row=True),
    ("POST", "/api-keys"): Writer(ApiKey, _create_key, _create_key_baseline, changes_a_row=False),
}

# Operations outside /admin that take a body but write no row the body could shape: their bodies
# are credentials or an email address, and each is attacked elsewhere (login and refresh in
# tests/auth, the JWT corpus, the lockout tests).
NOT_WRITERS = {
    ("POST", "/auth/jwt/login"): "username and password; the session it starts takes nothing from the body",
    ("POST", "/auth/jwt/refresh"): "a form holding a refresh token",
    ("POST", "/auth/token"): "a form of grant parameters (credentials, a refresh token or a code); the session it "
    "starts takes nothing else from the body",
    ("POST", "/auth/introspect"): "a form holding a token; writes nothing",
    ("POST", "/auth/jwt/revoke"): "a form holding a token",
    ("POST", "/auth/forgot-password"): "an email; writes nothing",
    ("POST", "/auth/request-verify-token"): "an email; writes nothing",
    ("POST", "/auth/jwt/mfa"): "a form holding an mfa_token and a code; the session it starts takes nothing else",
    ("POST", "/users/me/mfa/totp/confirm"): "a code; enables the caller's own pending factor",
    ("POST", "/users/me/mfa/recovery-codes"): "a code; the codes it stores are generated",
    ("DELETE", "/users/me/mfa"): "a code and the current password; deletes the caller's own factor",
    ("POST", "/auth/confirm-email-change"): "a token; the new email comes from the signed token, not the body",
    ("POST", "/console/session"): "username and password, as /auth/jwt/login; the session takes nothing else",
    ("POST", "/console/session/mfa"): "an mfa_token and a code, as /auth/jwt/mfa; the session takes nothing else",
}


def attacked_fields(method: str, path: str) -> list[str]:
    """The writer's table columns its request schema does not offer."""
    name = body_schema_name(operation_of(method, path))
    offered = set(COMPONENTS[name]["properties"]) if name else set()
    model = WRITERS[(method, path)].model
    return sorted(column.key for column in model.__table__.columns if column.key not in offered)


async def injected_value(world: World, model: type[DeclarativeBase], name: str, baseline: Any) -> Any:
    """What an attacker would set `name` to: someone else's id, admin, the opposite flag, a hash
    of a password of their choosing, a time of their choosing."""
    column = model.__table__.columns[name]
    if name == "id":
        return str({User: world.victim.id, Item: world.victim_item_id, ApiKey: world.victim_key.id}[model])
    if name in ("owner_id", "user_id"):
        return str(world.victim.id)
    if name == "role":
        return Role.ADMIN.value
    if name == "email":
        return f"injected-{uuid.uuid4().hex[:8]}@example.com"
    if name == "hashed_password":
        return await world.app.state.services.passwords.hash_async(ATTACKER_PASSWORD)
    if isinstance(column.type, Boolean):
        return not getattr(baseline, name)
    if isinstance(column.type, DateTime) or "Date" in type(column.type).__name__ or name.endswith("_at"):
        return INJECTED_TIME
    if isinstance(column.type, Enum):
        return Role.ADMIN.value
    return f"injected-{name}"


def took(row: Any, name: str, value: Any) -> bool:
    """Whether the row holds the injected value."""
    stored = getattr(row, name)
    if isinstance(stored, datetime):
        return stored.astimezone(UTC) == datetime.fromisoformat(value.replace("Z", "+00:00"))
    if isinstance(stored, uuid.UUID | Role):
        return str(stored.value if isinstance(stored, Role) else stored) == str(value)
    return bool(stored == value)


def writable_field_cases() -> list[Any]:
    cases = []
    for (method, path), _writer in WRITERS.items():
        for name in attacked_fields(method, path):
            cases.append(pytest.param(method, path, [name], id=f"{method} {path} with {name}"))
        cases.append(pytest.param(method, path, attacked_fields(method, path), id=f"{method} {path} with all of them"))
    return cases


@pytest.mark.parametrize(("method", "path", "fields"), writable_field_cases())
async def test_a_field_the_route_does_not_offer_is_not_written(world, method, path, fields, attacks):
    writer = WRITERS[(method, path)]
    baseline = await writer.baseline(world)
    assert baseline is not None
    extra = {name: await injected_value(world, writer.model, name, baseline) for name in fields}
    victims_before = await world.victims_state()

    attacks.add()
    response, row = await writer.send(world, extra)

    assert response.status_code < 500, response.text
    assert row is not None or not writer.changes_a_row, f"{method} {path}: the caller's row is gone (its id changed?)"
    if row is not None:
        taken = [name for name in fields if took(row, name, extra[name]) and not took(baseline, name, extra[name])]
        assert taken == [], f"{method} {path} ({response.status_code}) stored {taken}"
    assert await world.victims_state() == victims_before, "another user's rows changed"
    await world.assert_victim_can_still_act()


async def test_a_registration_asking_for_admin_logs_in_as_a_plain_user(client, attacks):
    attacks.add(3)
    email = "wants-admin@example.com"
    body = {"email": email, "password": DEFAULT_PASSWORD, "role": "admin", "is_superuser": True, "is_verified": True}
    registered = await client.post("/auth/register", json=body)
    assert registered.status_code == 201, registered.text
    login = await client.post("/auth/jwt/login", data={"username": email, "password": DEFAULT_PASSWORD})
    token = login.json()["access_token"]

    me = (await client.get("/users/me", headers=bearer(token))).json()
    assert (me["role"], me["is_verified"]) == ("user", False)
    assert (await client.get("/admin/users", headers=bearer(token))).status_code == 403


def test_every_route_that_takes_a_body_outside_admin_is_a_writer_or_exempt():
    with_body = {
        (method, path)
        for method, path, operation in OPERATIONS
        if operation.get("requestBody") and not is_admin_route(path)
    }

    assert with_body - set(WRITERS) - set(NOT_WRITERS) == set(), "a new route takes a body: add it to WRITERS"
    assert set(WRITERS) | set(NOT_WRITERS) <= DOCUMENTED, "a table names a route that is gone"


# --- API keys: minted no higher than the caller, never changing the owner's login ------------------


def _minter(world: World, who: str) -> dict[str, str]:
    return {
        "anonymous": {},
        "user token": world.caller.headers,
        "user's key": world.caller_key.headers,
        "guest token": world.guest.headers,
        "admin's user-capped key": world.admin_user_key.headers,
        "admin's guest-capped key": world.admin_guest_key.headers,
    }[who]


MINTING = [
    ("user token", "admin", 403, "API_KEY_ROLE_NOT_ALLOWED"),
    ("user's key", "admin", 403, "API_KEY_ROLE_NOT_ALLOWED"),
    ("admin's user-capped key", "admin", 403, "API_KEY_ROLE_NOT_ALLOWED"),
    ("admin's guest-capped key", "user", 403, "FORBIDDEN"),
    ("admin's guest-capped key", "guest", 403, "FORBIDDEN"),
    ("guest token", "guest", 403, "FORBIDDEN"),
    ("guest token", "admin", 403, "FORBIDDEN"),
    ("user token", "ADMIN", 422, None),
    ("user token", "superuser", 422, None),
]


@pytest.mark.parametrize(
    ("who", "role", "status", "code"), MINTING, ids=[f"{w} asks for {r}" for w, r, _, _ in MINTING]
)
async def test_an_api_key_above_the_role_the_caller_acts_with_is_refused(world, who, role, status, code, attacks):
    keys_before = await world.count(ApiKey)

    attacks.add()
    response = await world.client.post(
        "/api-keys", json={"name": "escalate", "role": role}, headers=_minter(world, who)
    )

    assert response.status_code == status, response.text
    if code is not None:
        assert response.json()["detail"] == code
    assert await world.count(ApiKey) == keys_before


@pytest.mark.parametrize("who", ["user's key", "admin's user-capped key"])
async def test_an_api_key_can_mint_a_key_at_most_at_its_own_cap(world, who, attacks):
    attacks.add()
    response = await world.client.post("/api-keys", json={"name": "same cap"}, headers=_minter(world, who))

    assert response.status_code == 201, response.text
    assert response.json()["role"] == "user"


LOGIN_CHANGES = [{"password": "a-new-password-via-key"}, {"email": "moved-by-key@example.com"}]


@pytest.mark.parametrize("change", LOGIN_CHANGES, ids=["password", "email"])
@pytest.mark.parametrize("who", ["user's key", "admin's key (admin cap)"])
async def test_an_api_key_cannot_change_its_owners_login_through_users_me(world, keys, who, change, attacks):
    owner, key = (
        (world.caller, world.caller_key) if who == "user's key" else (world.admin, await keys.create(world.admin))
    )
    before = columns_of(await world.row(User, owner.id))

    attacks.add()
    response = await world.client.patch("/users/me", json=change, headers=key.headers)

    assert response.status_code == 403, response.text
    assert response.json()["detail"] == "API_KEY_NOT_ALLOWED"
    assert columns_of(await world.row(User, owner.id)) == before


@pytest.mark.parametrize("change", LOGIN_CHANGES, ids=["password", "email"])
async def test_an_admin_capped_key_cannot_change_its_owners_login_through_the_admin_route(world, keys, change, attacks):
    key = await keys.create(world.admin)
    before = columns_of(await world.row(User, world.admin.id))

    attacks.add()
    response = await world.client.patch(f"/admin/users/{world.admin.id}", json=change, headers=key.headers)

    assert response.status_code == 403, response.text
    assert response.json()["detail"] == "API_KEY_NOT_ALLOWED"
    assert columns_of(await world.row(User, world.admin.id)) == before


# --- API keys capped below their owner: items -----------------------------------------------------------


CAPPED = [
    # (key, method, path, body, status)
    ("admin's guest-capped key", "POST", "/items", {"title": "x"}, 403),
    ("admin's guest-capped key", "PATCH", "/items/{own}", {"title": "x"}, 403),
    ("admin's guest-capped key", "DELETE", "/items/{own}", None, 403),
    ("admin's guest-capped key", "GET", "/items/{victim}", None, 404),
    ("admin's guest-capped key", "POST", "/api-keys", {"name": "x"}, 403),
    ("admin's user-capped key", "GET", "/items/{victim}", None, 404),
    ("admin's user-capped key", "PATCH", "/items/{victim}", {"title": "x"}, 404),
    ("admin's user-capped key", "DELETE", "/items/{victim}", None, 404),
    ("admin's user-capped key", "DELETE", "/api-keys/{victim key}", None, 404),
]


@pytest.mark.parametrize(
    ("who", "method", "path", "body", "status"), CAPPED, ids=[f"{c[0]}: {c[1]} {c[2]}" for c in CAPPED]
)
async def test_an_admins_capped_key_acts_only_within_its_cap(world, who, method, path, body, status, attacks):
    own_item = (await world.client.post("/items", json={"title": "admin's"}, headers=world.admin.headers)).json()["id"]
    url = path.format(own=own_item, victim=world.victim_item_id, **{"victim key": world.victim_key.id})
    victims_before = await world.victims_state()
    items_before = await world.count(Item)

    attacks.add()
    response = await world.client.request(method, url, json=body, headers=_minter(world, who))

    assert response.status_code == status, response.text
    assert SECRET_TITLE not in response.text
    assert await world.victims_state() == victims_before
    assert await world.count(Item) == items_before
    assert await world.row(Item, uuid.UUID(own_item)) is not None


async def test_control_the_admin_itself_reads_the_victims_item(world, attacks):
    attacks.add()
    response = await world.client.get(f"/items/{world.victim_item_id}", headers=world.admin.headers)

    assert response.status_code == 200
    assert response.json()["title"] == SECRET_TITLE


@pytest.mark.parametrize("who", ["admin's user-capped key", "admin's guest-capped key"])
async def test_an_admins_capped_key_lists_only_the_admins_own_items(world, who, attacks):
    attacks.add()
    response = await world.client.get("/items", params={"owner_id": str(world.victim.id)}, headers=_minter(world, who))

    assert response.status_code == 200, response.text
    assert {item["owner_id"] for item in response.json()["items"]} <= {str(world.admin.id)}


# --- API5: admin functions ---------------------------------------------------------------------------


ADMIN_BODIES: dict[str, Callable[[], dict[str, Any]]] = {
    "AdminUserCreate": lambda: {
        "email": f"planted-{uuid.uuid4().hex[:8]}@example.com",
        "password": ATTACKER_PASSWORD,
        "role": "admin",
        "is_verified": True,
    },
    "AdminUserUpdate": lambda: {"role": "admin", "is_active": True, "is_verified": True},
}

ADMIN_OPERATIONS = [(method, path, operation) for method, path, operation in OPERATIONS if is_admin_route(path)]

# Who calls, and on whom: the low roles act on themselves (self-promotion), an admin's capped keys
# on another user (promoting an accomplice).
ADMIN_CALLERS = [
    "user token",
    "guest token",
    "user's key",
    "admin's user-capped key",
    "admin's guest-capped key",
    "anonymous",
]


def admin_body(operation: dict[str, Any]) -> dict[str, Any] | None:
    name = body_schema_name(operation)
    if name is None:
        return None
    assert name in ADMIN_BODIES, f"add an escalating example body for {name} to ADMIN_BODIES"
    return ADMIN_BODIES[name]()


def admin_cases() -> list[Any]:
    return [
        pytest.param(method, path, operation, who, id=f"{method} {path} by {who}")
        for method, path, operation in ADMIN_OPERATIONS
        for who in ADMIN_CALLERS
    ]


@pytest.mark.parametrize(("method", "path", "operation", "who"), admin_cases())
async def test_an_admin_route_refuses_a_caller_below_admin_with_403_or_401_and_changes_nothing(
    world, method, path, operation, who, attacks
):
    acting_on = {"admin's": world.victim, "guest": world.guest}.get(who.split(" ")[0], world.caller)
    url = path.format(user_id=acting_on.id, api_key_id=world.victim_key.id, mail_id=uuid.uuid4())
    users_before = {row_id: columns_of(await world.row(User, row_id)) for row_id in (acting_on.id, world.admin.id)}
    victims_before = await world.victims_state()
    counts_before = (await world.count(User), await world.count(ApiKey))

    attacks.add()
    response = await world.client.request(method, url, json=admin_body(operation), headers=_minter(world, who))

    if who == "anonymous":
        assert (response.status_code, response.headers.get("WWW-Authenticate")) == (401, "Bearer"), response.text
    else:
        assert response.status_code == 403, response.text
        assert response.json()["detail"] == "FORBIDDEN"
    for row_id, before in users_before.items():
        assert columns_of(await world.row(User, row_id)) == before
    assert await world.victims_state() == victims_before
    assert (await world.count(User), await world.count(ApiKey)) == counts_before
    assert (await world.client.get("/users/me", headers=world.caller.headers)).json()["role"] == "user"


def test_every_admin_route_with_a_body_has_an_escalating_example():
    for _, _, operation in ADMIN_OPERATIONS:
        admin_body(operation)
    assert ADMIN_OPERATIONS, "no /admin routes found in the OpenAPI document"


# --- API1: other users' objects ----------------------------------------------------------------------


@dataclass(frozen=True)
class ForeignKind:
    """Another user's object named by a path parameter, and who attacks it."""

    victim_id: Callable[[World], Any]
    callers: tuple[str, ...]


FOREIGN: dict[str, ForeignKind] = {
    "item_id": ForeignKind(
        lambda w: w.victim_item_id,
        ("user token", "user's key", "guest token", "admin's user-capped key", "admin's guest-capped key"),
    ),
    "session_id": ForeignKind(
        lambda w: session_id_of(w.victim.token), ("user token", "user's key", "guest token", "admin token")
    ),
    "api_key_id": ForeignKind(
        lambda w: w.victim_key.id, ("user token", "user's key", "guest token", "admin token", "admin's key")
    ),
}

FOREIGN_BODIES = {"ItemUpdate": {"title": "taken over", "description": "by another user"}}


def foreign_cases() -> list[Any]:
    cases = []
    for method, path, operation in OPERATIONS:
        if is_admin_route(path):
            continue
        for parameter in operation.get("parameters", []):
            if parameter["in"] != "path":
                continue
            kind = FOREIGN.get(parameter["name"])
            callers = kind.callers if kind else ("(no attack defined)",)
            for who in callers:
                cases.append(pytest.param(method, path, parameter["name"], who, id=f"{method} {path} by {who}"))
    return cases


async def _headers_of(world: World, keys, who: str) -> dict[str, str]:
    if who == "admin token":
        return world.admin.headers
    if who == "admin's key":
        return (await keys.create(world.admin, name="admin's own key")).headers
    return _minter(world, who)


def _foreign_body(operation: dict[str, Any]) -> dict[str, Any] | None:
    name = body_schema_name(operation)
    if name is None:
        return None
    assert name in FOREIGN_BODIES, f"add a body for {name} to FOREIGN_BODIES"
    return FOREIGN_BODIES[name]


@pytest.mark.parametrize(("method", "path", "parameter", "who"), foreign_cases())
async def test_another_users_object_answers_like_a_missing_one_and_is_not_touched(
    world, keys, method, path, parameter, who, attacks
):
    assert parameter in FOREIGN, f"{method} {path}: add {parameter} to FOREIGN (whose object, who attacks it)"
    body = _foreign_body(operation_of(method, path))
    headers = await _headers_of(world, keys, who)
    victims_before = await world.victims_state()

    attacks.add(2)
    foreign = await world.client.request(
        method, path.format(**{parameter: FOREIGN[parameter].victim_id(world)}), json=body, headers=headers
    )
    missing = await world.client.request(method, path.format(**{parameter: uuid.uuid4()}), json=body, headers=headers)

    assert foreign.status_code in (403, 404), foreign.text
    assert (foreign.status_code, foreign.json()) == (missing.status_code, missing.json()), "an existence oracle"
    if who == "user token":
        assert foreign.status_code == 404
    for secret in (SECRET_TITLE, world.victim.email, str(world.victim.id), world.victim_key.body["prefix"]):
        assert secret not in foreign.text
    assert await world.victims_state() == victims_before
    await world.assert_victim_can_still_act()


async def test_items_listed_with_another_users_owner_id_are_the_callers_own(world, attacks):
    for headers in (world.caller.headers, world.caller_key.headers, world.guest.headers):
        attacks.add()
        response = await world.client.get("/items", params={"owner_id": str(world.victim.id)}, headers=headers)
        assert response.status_code == 200, response.text
        assert str(world.victim_item_id) not in response.text
        assert SECRET_TITLE not in response.text


async def test_api_keys_listed_are_the_callers_own(world, attacks):
    for account in (world.caller, world.guest, world.admin):
        attacks.add()
        response = await world.client.get("/api-keys", headers=account.headers)
        assert response.status_code == 200, response.text
        assert str(world.victim_key.id) not in response.text


async def test_sessions_listed_are_the_callers_own(world, attacks):
    victim_session = session_id_of(world.victim.token)
    for account in (world.caller, world.guest, world.admin):
        attacks.add()
        response = await world.client.get("/users/me/sessions", headers=account.headers)
        assert response.status_code == 200, response.text
        assert victim_session not in response.text
        assert {session["id"] for session in response.json()} == {session_id_of(account.token)}
