"""GET /admin/users: the is_verified, mfa_enabled and locked filters, and the email search
through the trigram index (FTS5 on SQLite, pg_trgm on PostgreSQL) with its bounded total."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, text, update

from app.core.roles import Role
from app.users import search
from app.users.models import User
from tests.factories import log_in

MAX_FAILURES = 10


async def listed(client, admin, **params):
    response = await client.get("/admin/users", params=params, headers=admin.headers)
    assert response.status_code == 200, response.text
    return response.json()


def ids(body):
    return [item["id"] for item in body["items"]]


async def set_columns(app, account, **values):
    async with app.state.services.database.sessionmaker() as session:
        await session.execute(update(User).where(User.id == account.id).values(**values))
        await session.commit()


# --- row filters --------------------------------------------------------------------------------


async def test_is_verified_filters_both_ways(app, client, admin, accounts):
    unverified = await accounts.create(login=False)
    await set_columns(app, unverified, is_verified=False)
    verified = await accounts.create(login=False)

    no = await listed(client, admin, is_verified="false")
    yes = await listed(client, admin, is_verified="true")

    assert ids(no) == [str(unverified.id)]
    assert no["total"] == 1 and no["total_exact"] is True
    assert set(ids(yes)) == {str(verified.id), str(admin.id)}
    assert yes["total"] == 2


async def test_mfa_enabled_filters_both_ways(app, client, admin, accounts):
    enrolled = await accounts.create(login=False)
    await set_columns(app, enrolled, mfa_enabled=True)
    await accounts.create(login=False)

    yes = await listed(client, admin, mfa_enabled="true")
    no = await listed(client, admin, mfa_enabled="false")

    assert ids(yes) == [str(enrolled.id)]
    assert yes["items"][0]["mfa_enabled"] is True
    assert str(enrolled.id) not in ids(no)
    assert no["total"] == 2


async def test_locked_finds_the_accounts_locked_out_right_now(client, admin, accounts):
    locked = await accounts.create(login=False)
    failing = await accounts.create(login=False)
    for _ in range(MAX_FAILURES):
        await log_in(client, locked.email)
    await log_in(client, failing.email)  # a failure, no lock

    yes = await listed(client, admin, locked="true")
    no = await listed(client, admin, locked="false")

    assert ids(yes) == [str(locked.id)]
    assert yes["items"][0]["locked_until"] is not None
    assert yes["total"] == 1
    assert set(ids(no)) == {str(failing.id), str(admin.id)}


async def test_a_lock_that_ended_or_was_lifted_is_not_locked(client, admin, accounts, clock):
    ended = await accounts.create(login=False)
    lifted = await accounts.create(login=False)
    for account in (ended, lifted):
        for _ in range(MAX_FAILURES):
            await log_in(client, account.email)
    assert len(ids(await listed(client, admin, locked="true"))) == 2

    await client.post(f"/admin/users/{lifted.id}/unlock", headers=admin.headers)
    assert ids(await listed(client, admin, locked="true")) == [str(ended.id)]
    await clock.end_all_locks()
    assert ids(await listed(client, admin, locked="true")) == []


async def test_a_locked_email_without_an_account_locks_no_account(client, admin, accounts):
    for _ in range(MAX_FAILURES):
        await log_in(client, "nobody@example.com")

    assert (await listed(client, admin, locked="true"))["total"] == 0


async def test_changing_the_email_leaves_the_old_emails_lock_behind(client, admin, accounts):
    account = await accounts.create(login=False)
    for _ in range(MAX_FAILURES):
        await log_in(client, account.email)

    response = await client.patch(
        f"/admin/users/{account.id}", json={"email": "moved@example.com"}, headers=admin.headers
    )

    assert response.status_code == 200
    assert response.json()["locked_until"] is None
    assert (await listed(client, admin, locked="true"))["total"] == 0


async def test_a_wrong_current_password_counts_towards_the_accounts_lock(client, admin, user):
    for _ in range(MAX_FAILURES):
        await client.patch(
            "/users/me", json={"password": "a-new-long-password", "current_password": "wrong"}, headers=user.headers
        )

    assert ids(await listed(client, admin, locked="true")) == [str(user.id)]


async def test_filters_combine(app, client, admin, accounts):
    target = await accounts.create(role=Role.GUEST, email="guest.match@example.com", login=False)
    await set_columns(app, target, is_verified=False)
    other = await accounts.create(role=Role.GUEST, email="guest.other@example.com", login=False)
    await set_columns(app, other, is_verified=False, mfa_enabled=True)
    await accounts.create(role=Role.USER, email="user.match@example.com", login=False)

    body = await listed(client, admin, role="guest", is_verified="false", mfa_enabled="false", q="guest")

    assert ids(body) == [str(target.id)]
    assert body["total"] == 1


@pytest.mark.parametrize("name", ["is_verified", "mfa_enabled", "locked"])
async def test_a_filter_that_is_not_a_boolean_is_a_validation_error(client, admin, name):
    response = await client.get("/admin/users", params={name: "maybe"}, headers=admin.headers)

    assert response.status_code == 422


# --- the email search ---------------------------------------------------------------------------


async def test_q_finds_any_part_of_the_email_newest_first(client, admin, accounts):
    older = await accounts.create(email="ada.lovelace@example.com", login=False)
    newer = await accounts.create(email="lovelace.fan@example.org", login=False)
    await accounts.create(email="grace@example.com", login=False)

    body = await listed(client, admin, q="lovelace")

    assert ids(body) == [str(newer.id), str(older.id)]
    assert body["total"] == 2 and body["total_exact"] is True


@pytest.mark.parametrize("term", ["ada", "@ex", ".com", "a.l", "ADA.LOVELACE@EXAMPLE.COM"])
async def test_q_matches_punctuation_and_the_whole_address(client, admin, accounts, term):
    match = await accounts.create(email="ada.lovelace@example.com", login=False)

    body = await listed(client, admin, q=term)

    assert str(match.id) in ids(body)


async def test_q_treats_underscores_quotes_and_fts_syntax_literally(client, admin, accounts):
    underscored = await accounts.create(email="first_last@example.com", login=False)
    await accounts.create(email="firstxlast@example.com", login=False)

    assert ids(await listed(client, admin, q="t_l")) == [str(underscored.id)]
    for term in ['"a"', "a OR b", "fir*", "NEAR(a b)", "a'b", "x\\y"]:
        assert (await listed(client, admin, q=term))["total"] == 0


@pytest.mark.parametrize("term", ["a", "ab", " ab "])
async def test_q_of_fewer_than_three_characters_is_refused(client, admin, term):
    response = await client.get("/admin/users", params={"q": term}, headers=admin.headers)

    assert response.status_code == 400
    assert response.json()["detail"] == "QUERY_TOO_SHORT"
    assert response.json()["message"]


async def test_a_blank_q_is_no_search(client, admin, accounts):
    await accounts.create(login=False)

    body = await listed(client, admin, q="   ")

    assert body["total"] == 2 and body["total_exact"] is True


async def test_the_index_follows_email_changes_and_deletions(client, admin, accounts):
    account = await accounts.create(email="before.change@example.com", login=False)

    await client.patch(f"/admin/users/{account.id}", json={"email": "after.change@example.com"}, headers=admin.headers)

    assert (await listed(client, admin, q="before"))["total"] == 0
    assert ids(await listed(client, admin, q="after.ch")) == [str(account.id)]
    await client.delete(f"/admin/users/{account.id}", headers=admin.headers)
    assert (await listed(client, admin, q="after.ch"))["total"] == 0


async def test_the_index_follows_raw_sql_writes(app, client, admin, accounts):
    account = await accounts.create(email="raw.sql@example.com", login=False)
    async with app.state.services.database.sessionmaker() as session:
        await session.execute(
            text("UPDATE users SET email = 'rewritten@example.com' WHERE email = 'raw.sql@example.com'")
        )
        await session.commit()

    assert (await listed(client, admin, q="raw.sql"))["total"] == 0
    assert ids(await listed(client, admin, q="rewritten")) == [str(account.id)]
    async with app.state.services.database.sessionmaker() as session:
        await session.execute(delete(User).where(User.id == account.id))
        await session.commit()
    assert (await listed(client, admin, q="rewritten"))["total"] == 0


async def test_q_pages_with_limit_and_offset(client, admin, accounts):
    made = [await accounts.create(email=f"pager-{n}@example.com", login=False) for n in range(5)]

    first = await listed(client, admin, q="pager", limit=2)
    rest = await listed(client, admin, q="pager", limit=2, offset=2)
    last = await listed(client, admin, q="pager", limit=2, offset=4)

    assert ids(first) + ids(rest) + ids(last) == [str(account.id) for account in reversed(made)]
    assert first["total"] == rest["total"] == 5


@pytest.mark.parametrize("filters", [{}, {"role": "user"}, {"is_verified": "true"}])
async def test_many_matches_walk_newest_first_and_count_no_further_than_the_bound(
    client, admin, accounts, monkeypatch, filters
):
    monkeypatch.setattr(search, "COUNT_LIMIT", 3)
    made = [await accounts.create(email=f"crowd-{n}@example.com", login=False) for n in range(6)]

    body = await listed(client, admin, q="crowd", limit=4, **filters)
    second = await listed(client, admin, q="crowd", limit=4, offset=4, **filters)

    assert ids(body) + ids(second) == [str(account.id) for account in reversed(made)]
    assert body["total"] == 3 and body["total_exact"] is False


async def test_few_matches_beside_many_others_are_counted_exactly(client, admin, accounts, monkeypatch):
    monkeypatch.setattr(search, "COUNT_LIMIT", 3)
    for n in range(5):
        await accounts.create(email=f"crowd-{n}@example.com", login=False)
    rare = [await accounts.create(email=f"rare-{n}@example.com", login=False) for n in range(3)]

    body = await listed(client, admin, q="rare")

    assert ids(body) == [str(account.id) for account in reversed(rare)]
    assert body["total"] == 3 and body["total_exact"] is True


async def test_a_row_filter_counts_no_further_than_the_bound(client, admin, accounts, monkeypatch):
    monkeypatch.setattr(search, "COUNT_LIMIT", 2)
    for _ in range(3):
        await accounts.create(login=False)

    body = await listed(client, admin, is_verified="true")

    assert len(body["items"]) == 4
    assert body["total"] == 2 and body["total_exact"] is False


async def test_without_a_search_or_row_filter_the_total_is_exact_beyond_the_bound(client, admin, accounts, monkeypatch):
    monkeypatch.setattr(search, "COUNT_LIMIT", 2)
    for _ in range(3):
        await accounts.create(login=False)

    body = await listed(client, admin, role="user")

    assert body["total"] == 3 and body["total_exact"] is True
