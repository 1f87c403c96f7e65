"""The admin list's `total`: exact through every way users are written, for every filter.

Without `q` the total comes from the running totals that database triggers keep in
`user_counts`; each test compares the API's totals with a real count of the rows.
"""

from __future__ import annotations

import asyncio
import itertools
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi_users_db_sqlalchemy.generics import GUID
from sqlalchemy import bindparam, event, func, select, text

from app.core.roles import Role
from app.db.base import UTCDateTime
from app.users.models import User
from tests.backends import DATABASE_VARIABLE, configured
from tests.factories import DEFAULT_PASSWORD

FILTERS: list[dict[str, str]] = [
    {key: value for key, value in (("role", role), ("is_active", active)) if value is not None}
    for role, active in itertools.product([None, *(role.value for role in Role)], [None, "true", "false"])
]


async def listed_total(client, admin, **params: Any) -> int:
    response = await client.get("/admin/users", params=params, headers=admin.headers)
    assert response.status_code == 200, response.text
    total: int = response.json()["total"]
    return total


async def counted_rows(app, *, role: str | None = None, is_active: str | None = None) -> int:
    statement = select(func.count()).select_from(User)
    if role is not None:
        statement = statement.where(User.role == Role(role))
    if is_active is not None:
        statement = statement.where(User.is_active.is_(is_active == "true"))
    async with app.state.services.database.sessionmaker() as session:
        return int(await session.scalar(statement) or 0)


async def assert_totals_match_the_rows(client, app, admin) -> None:
    """Every combination of the role and is_active filters reports the number of matching rows."""
    for params in FILTERS:
        assert await listed_total(client, admin, **params) == await counted_rows(app, **params), params


INSERT_USER = text(
    "INSERT INTO users (id, email, hashed_password, is_active, is_superuser, is_verified, role, "
    "created_at, updated_at) VALUES (:id, :email, 'not-a-hash', :is_active, FALSE, FALSE, :role, "
    ":created_at, :created_at)"
).bindparams(bindparam("id", type_=GUID()), bindparam("created_at", type_=UTCDateTime()))


async def insert_users_with_sql(app, rows: list[tuple[Role, bool]]) -> list[uuid.UUID]:
    """Write users with plain SQL, bypassing the ORM and fastapi-users; their ids, in order."""
    values = [
        {
            "id": uuid.uuid4(),
            "email": f"bulk-{uuid.uuid4().hex[:12]}@example.com",
            "role": role.value,
            "is_active": is_active,
            "created_at": datetime(2020, 1, 1, tzinfo=UTC),
        }
        for role, is_active in rows
    ]
    async with app.state.services.database.sessionmaker() as session:
        await session.execute(INSERT_USER, values)
        await session.commit()
    return [value["id"] for value in values]


async def run_sql(app, statement: str, ids: list[uuid.UUID]) -> None:
    """Run one statement over the users `ids` names (as `:ids`)."""
    async with app.state.services.database.sessionmaker() as session:
        await session.execute(text(statement).bindparams(bindparam("ids", type_=GUID(), expanding=True)), {"ids": ids})
        await session.commit()


# --- every write path ----------------------------------------------------------------------------


async def test_total_counts_self_registered_users(client, app, admin):
    for number in range(3):
        response = await client.post(
            "/auth/register", json={"email": f"new-{number}@example.com", "password": DEFAULT_PASSWORD}
        )
        assert response.status_code == 201

    assert await listed_total(client, admin) == 4
    assert await listed_total(client, admin, role="user") == 3
    await assert_totals_match_the_rows(client, app, admin)


async def test_total_counts_users_created_by_an_admin(client, app, admin):
    for role in Role:
        response = await client.post(
            "/admin/users",
            json={"email": f"{role.value}-new@example.com", "password": DEFAULT_PASSWORD, "role": role.value},
            headers=admin.headers,
        )
        assert response.status_code == 201

    assert await listed_total(client, admin) == 4
    assert await listed_total(client, admin, role="admin") == 2
    await assert_totals_match_the_rows(client, app, admin)


async def test_total_follows_a_role_change(client, app, admin, user):
    response = await client.patch(f"/admin/users/{user.id}", json={"role": "guest"}, headers=admin.headers)
    assert response.status_code == 200

    assert await listed_total(client, admin, role="user") == 0
    assert await listed_total(client, admin, role="guest") == 1
    assert await listed_total(client, admin) == 2
    await assert_totals_match_the_rows(client, app, admin)


async def test_total_follows_deactivation_and_reactivation(client, app, admin, user):
    await client.patch(f"/admin/users/{user.id}", json={"is_active": False}, headers=admin.headers)

    assert await listed_total(client, admin, is_active="false") == 1
    assert await listed_total(client, admin, role="user", is_active="true") == 0
    await assert_totals_match_the_rows(client, app, admin)

    await client.patch(f"/admin/users/{user.id}", json={"is_active": True}, headers=admin.headers)

    assert await listed_total(client, admin, is_active="false") == 0
    assert await listed_total(client, admin, role="user", is_active="true") == 1
    await assert_totals_match_the_rows(client, app, admin)


async def test_changing_other_fields_leaves_the_total_unchanged(client, app, admin, user):
    response = await client.patch(
        f"/admin/users/{user.id}", json={"email": "renamed@example.com", "is_verified": True}, headers=admin.headers
    )
    assert response.status_code == 200

    assert await listed_total(client, admin) == 2
    await assert_totals_match_the_rows(client, app, admin)


async def test_total_drops_when_a_user_is_deleted(client, app, admin, user, guest):
    response = await client.delete(f"/admin/users/{user.id}", headers=admin.headers)
    assert response.status_code == 204

    assert await listed_total(client, admin) == 2
    assert await listed_total(client, admin, role="user") == 0
    await assert_totals_match_the_rows(client, app, admin)


async def test_a_refused_change_leaves_the_total_unchanged(client, app, admin):
    # The demotion is written, found to leave no admin, and rolled back.
    response = await client.patch(f"/admin/users/{admin.id}", json={"role": "user"}, headers=admin.headers)
    assert response.status_code == 409

    assert await listed_total(client, admin, role="admin") == 1
    await assert_totals_match_the_rows(client, app, admin)


async def test_total_counts_a_bulk_insert_with_raw_sql(client, app, admin):
    await insert_users_with_sql(app, [(Role.USER, True)] * 120 + [(Role.GUEST, False)] * 7 + [(Role.ADMIN, True)] * 2)

    assert await listed_total(client, admin) == 130
    assert await listed_total(client, admin, role="guest", is_active="false") == 7
    await assert_totals_match_the_rows(client, app, admin)


async def test_total_follows_bulk_updates_and_deletes_with_raw_sql(client, app, admin):
    ids = await insert_users_with_sql(app, [(Role.USER, True)] * 30)

    await run_sql(app, "UPDATE users SET role = 'guest' WHERE id IN :ids", ids[::3])
    await run_sql(app, "UPDATE users SET is_active = FALSE WHERE id IN :ids", ids[::2])
    await run_sql(app, "DELETE FROM users WHERE id IN :ids", ids[::5])

    assert await listed_total(client, admin) == 1 + 30 - 6
    await assert_totals_match_the_rows(client, app, admin)


async def test_total_is_exact_after_concurrent_registrations(client, app, admin):
    async def register(number: int) -> int:
        response = await client.post(
            "/auth/register", json={"email": f"racer-{number}@example.com", "password": DEFAULT_PASSWORD}
        )
        return response.status_code

    statuses = await asyncio.gather(*(register(number) for number in range(25)))

    assert statuses == [201] * 25
    assert await listed_total(client, admin) == 26
    await assert_totals_match_the_rows(client, app, admin)


async def test_concurrent_registrations_of_one_email_count_one_user(client, app, admin):
    async def register() -> int:
        response = await client.post("/auth/register", json={"email": "same@example.com", "password": DEFAULT_PASSWORD})
        return response.status_code

    statuses = await asyncio.gather(*(register() for _ in range(6)))

    assert sorted(statuses) == [201] + [400] * 5
    assert await listed_total(client, admin) == 2
    await assert_totals_match_the_rows(client, app, admin)


# --- filters ------------------------------------------------------------------------------------


async def test_role_and_is_active_filters_combine(client, app, admin):
    await insert_users_with_sql(
        app,
        [(Role.USER, True)] * 5 + [(Role.USER, False)] * 3 + [(Role.GUEST, True)] * 2 + [(Role.ADMIN, False)] * 1,
    )
    expected = {
        (None, None): 12,
        (None, "true"): 8,
        (None, "false"): 4,
        ("admin", None): 2,
        ("admin", "true"): 1,
        ("admin", "false"): 1,
        ("user", None): 8,
        ("user", "true"): 5,
        ("user", "false"): 3,
        ("guest", None): 2,
        ("guest", "true"): 2,
        ("guest", "false"): 0,
    }

    for params in FILTERS:
        key = (params.get("role"), params.get("is_active"))
        body = (await client.get("/admin/users", params=params, headers=admin.headers)).json()
        assert body["total"] == expected[key], params
        assert len(body["items"]) == expected[key], params
        assert all(item["role"] == key[0] for item in body["items"] if key[0] is not None)
        assert all(item["is_active"] is (key[1] == "true") for item in body["items"] if key[1] is not None)


async def test_filtered_pages_list_the_newest_matching_users_first(client, app, admin):
    await insert_users_with_sql(app, [(Role.GUEST, True)] * 3 + [(Role.USER, False)] * 2)
    guests = [
        await client.post(
            "/admin/users",
            json={"email": f"guest-{number}@example.com", "password": DEFAULT_PASSWORD, "role": "guest"},
            headers=admin.headers,
        )
        for number in range(3)
    ]

    body = (await client.get("/admin/users", params={"role": "guest", "limit": 2}, headers=admin.headers)).json()

    assert body["total"] == 6
    assert [item["email"] for item in body["items"]] == [guests[2].json()["email"], guests[1].json()["email"]]


async def test_q_total_counts_the_matching_emails_within_the_filters(client, app, admin, accounts):
    smith = await accounts.create(email="carol.smith@example.com", login=False)
    await accounts.create(email="john.smith@example.com", role=Role.GUEST, login=False)
    inactive_smith = await accounts.create(email="anna.smith@example.com", login=False)
    await accounts.update(inactive_smith, is_active=False)
    await accounts.create(email="dave@example.com", login=False)

    assert await listed_total(client, admin, q="smith") == 3
    assert await listed_total(client, admin, q="smith", role="user") == 2
    assert await listed_total(client, admin, q="smith", role="user", is_active="true") == 1
    body = (
        await client.get(
            "/admin/users", params={"q": "SMITH", "is_active": "true", "role": "user"}, headers=admin.headers
        )
    ).json()
    assert [item["id"] for item in body["items"]] == [str(smith.id)]


# --- how the total is found ---------------------------------------------------------------------


@pytest.fixture
def statements(app) -> list[str]:
    """The SQL the app runs from now on."""
    seen: list[str] = []

    def record(connection, cursor, statement, parameters, context, executemany) -> None:
        seen.append(statement)

    engine = app.state.services.database.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    yield seen
    event.remove(engine, "before_cursor_execute", record)


@pytest.mark.parametrize(
    "params", [{}, {"role": "user"}, {"is_active": "false"}, {"role": "guest", "is_active": "true"}]
)
async def test_list_without_q_does_not_count_the_users_rows(client, admin, user, statements, params):
    statements.clear()

    response = await client.get("/admin/users", params=params, headers=admin.headers)

    assert response.status_code == 200
    listing = [statement for statement in statements if "FROM users" in statement]
    assert listing, "the page query was not seen"
    assert not [statement for statement in listing if "count(" in statement.lower()]


async def test_list_with_q_counts_the_matching_rows(client, admin, user, statements):
    statements.clear()

    response = await client.get("/admin/users", params={"q": "example"}, headers=admin.headers)

    assert response.json()["total"] == 2
    assert [statement for statement in statements if "count(" in statement.lower() and "FROM users" in statement]


@pytest.fixture
def page_queries(app) -> list[tuple[str, Any]]:
    """The admin list's page queries the app runs from now on, with their parameters."""
    seen: list[tuple[str, Any]] = []

    def record(connection, cursor, statement, parameters, context, executemany) -> None:
        if "FROM users" in statement and "ORDER BY users.created_at DESC" in statement:
            seen.append((statement, parameters))

    engine = app.state.services.database.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    yield seen
    event.remove(engine, "before_cursor_execute", record)


@pytest.mark.parametrize(
    ("params", "index"),
    [
        ({}, "ix_users_created_at"),
        ({"role": "user"}, "ix_users_created_at"),  # nearly everyone: walk newest first until the page is full
        ({"is_active": "true"}, "ix_users_created_at"),
        ({"role": "admin"}, "ix_users_role_is_active"),  # a few: find them, then sort them
        ({"is_active": "false"}, "ix_users_role_is_active"),
        ({"role": "guest", "is_active": "false"}, "ix_users_role_is_active"),
    ],
)
@pytest.mark.skipif(
    configured(DATABASE_VARIABLE) is not None,
    reason="SQLite's planner takes hints (likelihood()) and explains with EXPLAIN QUERY PLAN; PostgreSQL "
    "plans from its own statistics and gets no hint. Unset TEST_DATABASE_URL to run it",
)
async def test_the_page_query_reads_through_the_cheaper_index(client, app, admin, page_queries, params, index):
    await insert_users_with_sql(app, [(Role.USER, True)] * 120 + [(Role.GUEST, False)] * 7 + [(Role.ADMIN, True)] * 2)
    page_queries.clear()

    response = await client.get("/admin/users", params=params, headers=admin.headers)

    assert response.status_code == 200
    [(statement, parameters)] = page_queries
    async with app.state.services.database.engine.connect() as connection:
        plan = (await connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)).all()
    details = " / ".join(row[-1] for row in plan)
    assert f"USING INDEX {index}" in details, details
