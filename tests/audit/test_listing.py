"""GET /admin/audit-events and GET /users/me/security-events: who may read, filters, pages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from app.audit.models import AuditEvent
from app.audit.recorder import record_event
from app.audit.types import ANONYMOUS, SYSTEM, Actor, EventType
from app.core.roles import Role
from app.db.base import utcnow
from tests.factories import log_in

ADMIN_ROUTE = "/admin/audit-events"
ME_ROUTE = "/users/me/security-events"


async def add_events(app, count: int, type: EventType = EventType.LOGIN_FAILED, **fields) -> None:
    async with app.state.services.database.sessionmaker() as db:
        for _ in range(count):
            record_event(db, type, actor=fields.get("actor", ANONYMOUS), target_user_id=fields.get("target"))
        await db.commit()


async def listed(client, admin, route: str = ADMIN_ROUTE, **params) -> list[dict]:
    response = await client.get(route, params=params, headers=admin.headers)
    assert response.status_code == 200, response.text
    return response.json()["items"]


# --- who may read --------------------------------------------------------------------------------


@pytest.mark.parametrize("route", [ADMIN_ROUTE, ME_ROUTE])
async def test_without_credentials_is_401(client, route):
    response = await client.get(route)
    assert response.status_code == 401


@pytest.mark.parametrize("role", [Role.USER, Role.GUEST])
async def test_the_admin_listing_is_403_for_other_roles(client, accounts, role):
    account = await accounts.create(role=role)
    response = await client.get(ADMIN_ROUTE, headers=account.headers)
    assert response.status_code == 403
    assert response.json()["detail"] == "FORBIDDEN"


async def test_an_admin_reads_every_event_newest_first(client, admin, user):
    items = await listed(client, admin)

    assert [item["type"] for item in items] == ["login.succeeded", "login.succeeded"]
    assert [item["target_user_id"] for item in items] == [str(user.id), str(admin.id)]
    assert set(items[0]) == {
        "id",
        "occurred_at",
        "type",
        "actor",
        "target_user_id",
        "ip_address",
        "user_agent",
        "request_id",
        "details",
    }
    assert items[0]["actor"] == {"kind": "user", "id": str(user.id)}


async def test_an_admin_key_capped_below_admin_cannot_read(client, admin, keys):
    issued = await keys.create(admin, role="user")
    response = await client.get(ADMIN_ROUTE, headers=issued.headers)
    assert response.status_code == 403


async def test_my_security_events_are_mine_as_target_or_actor(app, client, admin, user, guest):
    await log_in(client, guest.email)  # someone else's failure
    await client.post(f"/admin/users/{user.id}/revoke-sessions", headers=admin.headers)  # done to the user
    await add_events(app, 1, EventType.API_KEY_CREATED, actor=Actor.user(user.id), target=admin.id)  # by the user

    mine = await listed(client, guest, ME_ROUTE)
    assert [item["type"] for item in mine] == ["login.failed", "login.succeeded"]

    user_login = await client.post("/auth/jwt/login", data={"username": user.email, "password": user.password})
    headers = {"Authorization": f"Bearer {user_login.json()['access_token']}"}
    response = await client.get(ME_ROUTE, headers=headers)
    types = [item["type"] for item in response.json()["items"]]
    assert types == ["login.succeeded", "api_key.created", "sessions.revoked_by_admin", "login.succeeded"]


async def test_no_route_edits_or_deletes_an_event(app, client, admin):
    [event] = await listed(client, admin)
    for method in ("PATCH", "PUT", "DELETE"):
        assert (await client.request(method, ADMIN_ROUTE, headers=admin.headers)).status_code == 405
        response = await client.request(method, f"{ADMIN_ROUTE}/{event['id']}", headers=admin.headers)
        assert response.status_code in (404, 405)
    assert (await client.delete(ME_ROUTE, headers=admin.headers)).status_code == 405


# --- filters -------------------------------------------------------------------------------------


async def test_type_is_an_exact_type_or_a_prefix_ending_in_a_dot(app, client, admin, user):
    await log_in(client, user.email)
    await add_events(app, 1, EventType.LOGOUT, actor=Actor.user(user.id), target=user.id)

    assert {item["type"] for item in await listed(client, admin, type="login.failed")} == {"login.failed"}
    assert {item["type"] for item in await listed(client, admin, type="login.")} == {"login.failed", "login.succeeded"}
    assert [item["type"] for item in await listed(client, admin, type="logout")] == ["logout"]


@pytest.mark.parametrize("value", ["login", "login.nope", "nothing.", "LOGIN."])
async def test_an_unknown_type_is_400_audit_type_unknown(client, admin, value):
    response = await client.get(ADMIN_ROUTE, params={"type": value}, headers=admin.headers)
    assert response.status_code == 400
    assert response.json()["detail"] == "AUDIT_TYPE_UNKNOWN"


async def test_actor_target_and_address_filters(app, client, admin, user, client_at):
    other = client_at("198.51.100.7")
    await log_in(other, user.email)
    await add_events(app, 1, EventType.USER_UNLOCKED, actor=Actor.user(admin.id), target=user.id)

    by_actor = await listed(client, admin, actor_id=str(admin.id))
    assert [item["type"] for item in by_actor] == ["user.unlocked", "login.succeeded"]
    by_target = await listed(client, admin, target_user_id=str(user.id))
    assert [item["type"] for item in by_target] == ["user.unlocked", "login.failed", "login.succeeded"]
    by_address = await listed(client, admin, ip_address="198.51.100.7")
    assert [item["type"] for item in by_address] == ["login.failed"]
    mapped = await listed(client, admin, ip_address="::ffff:198.51.100.7")
    assert mapped == by_address
    both = await listed(client, admin, target_user_id=str(user.id), type="login.")
    assert [item["type"] for item in both] == ["login.failed", "login.succeeded"]


async def test_a_bad_address_is_400_and_a_bad_id_is_422(client, admin):
    bad_address = await client.get(ADMIN_ROUTE, params={"ip_address": "not-an-ip"}, headers=admin.headers)
    assert bad_address.status_code == 400
    assert bad_address.json()["detail"] == "AUDIT_FILTER_INVALID"
    bad_id = await client.get(ADMIN_ROUTE, params={"actor_id": "42"}, headers=admin.headers)
    assert bad_id.status_code == 422


async def test_since_is_inclusive_and_until_exclusive(app, client, admin):
    await add_events(app, 3, EventType.MAIL_FAILED, actor=SYSTEM)
    now = utcnow()
    async with app.state.services.database.sessionmaker() as db:
        rows = (await db.scalars(select(AuditEvent.id).where(AuditEvent.type == "mail.failed"))).all()
        for days, event_id in zip((3, 2, 1), rows, strict=True):
            await db.execute(
                update(AuditEvent).where(AuditEvent.id == event_id).values(occurred_at=now - timedelta(days=days))
            )
        await db.commit()
    two_days_ago = (now - timedelta(days=2)).isoformat()

    since = await listed(client, admin, type="mail.failed", since=two_days_ago)
    until = await listed(client, admin, type="mail.failed", until=two_days_ago)
    window = await listed(
        client, admin, type="mail.failed", since=(now - timedelta(days=4)).isoformat(), until=two_days_ago
    )

    assert len(since) == 2 and len(until) == 1 and len(window) == 1
    naive = await listed(client, admin, type="mail.failed", since=two_days_ago.replace("+00:00", ""))
    assert len(naive) == 2  # a time without a zone is UTC


# --- pages ---------------------------------------------------------------------------------------


async def test_pages_follow_the_cursor_without_repeats_or_gaps(app, client, admin):
    await add_events(app, 25)
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params = {"limit": 10, "type": "login.failed"} | ({"cursor": cursor} if cursor else {})
        response = await client.get(ADMIN_ROUTE, params=params, headers=admin.headers)
        body = response.json()
        seen += [item["id"] for item in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
        await add_events(app, 2)  # newer events do not shift the older pages

    assert pages == 3
    assert len(seen) == len(set(seen)) == 25
    times = [item["occurred_at"] for item in await listed(client, admin, type="login.failed", limit=200)]
    assert times == sorted(times, reverse=True)


async def test_a_prefix_pages_across_its_types_in_one_order(app, client, admin, user):
    for type in (EventType.LOGIN_FAILED, EventType.LOGIN_LOCKED, EventType.LOGIN_MFA_REQUIRED) * 4:
        await add_events(app, 1, type, target=user.id)
    expected = [item["id"] for item in await listed(client, admin, type="login.", limit=200)]

    first = await client.get(ADMIN_ROUTE, params={"type": "login.", "limit": 5}, headers=admin.headers)
    rest = await client.get(
        ADMIN_ROUTE,
        params={"type": "login.", "limit": 200, "cursor": first.json()["next_cursor"]},
        headers=admin.headers,
    )

    assert [item["id"] for item in first.json()["items"] + rest.json()["items"]] == expected
    assert rest.json()["next_cursor"] is None


async def test_my_events_page_too(app, client, user):
    await add_events(app, 5, EventType.LOGOUT, actor=Actor.user(user.id), target=user.id)
    first = await client.get(ME_ROUTE, params={"limit": 4}, headers=user.headers)
    rest = await client.get(ME_ROUTE, params={"limit": 4, "cursor": first.json()["next_cursor"]}, headers=user.headers)

    ids = [item["id"] for item in first.json()["items"] + rest.json()["items"]]
    assert len(ids) == len(set(ids)) == 6  # five logouts and the fixture's login
    assert rest.json()["next_cursor"] is None


@pytest.mark.parametrize(
    "cursor",
    ["garbage", "eyJ0IjoxfQ", "0f8bb0e577e9434e86d2eaab2283d18b", "x" * 300],
    ids=["garbage", "json-without-position", "hex", "long"],
)
async def test_a_bad_cursor_is_refused(client, admin, cursor):
    response = await client.get(ADMIN_ROUTE, params={"cursor": cursor}, headers=admin.headers)
    assert response.status_code in (400, 422)
    if response.status_code == 400:
        assert response.json()["detail"] == "AUDIT_CURSOR_INVALID"


@pytest.mark.parametrize("limit", [0, 201])
async def test_limit_is_1_to_200(client, admin, limit):
    response = await client.get(ADMIN_ROUTE, params={"limit": limit}, headers=admin.headers)
    assert response.status_code == 422


@pytest.mark.parametrize("since", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"])
async def test_a_time_beyond_the_calendar_in_utc_is_400(client, admin, since):
    response = await client.get(ADMIN_ROUTE, params={"since": since}, headers=admin.headers)
    assert response.status_code == 400
    assert response.json()["detail"] == "AUDIT_FILTER_INVALID"
