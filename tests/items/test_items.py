"""/items: the example owned resource."""

from __future__ import annotations

import uuid

import pytest

from app.core.roles import Role
from tests.support import insert_item


async def create(client, account, title: str = "a new item", **fields: object):
    response = await client.post("/items", json={"title": title, **fields}, headers=account.headers)
    assert response.status_code == 201, response.text
    return response.json()


async def listed_ids(client, account, **params: object) -> list[str]:
    response = await client.get("/items", params=params, headers=account.headers)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


# --- create -------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.ADMIN, Role.USER])
async def test_create_answers_201_with_the_item_owned_by_the_caller(client, accounts, role):
    account = await accounts.create(role=role)

    response = await client.post(
        "/items", json={"title": "notes", "description": "things to do"}, headers=account.headers
    )

    assert response.status_code == 201
    body = response.json()
    assert body["title"] == "notes"
    assert body["description"] == "things to do"
    assert body["owner_id"] == str(account.id)
    uuid.UUID(body["id"])


async def test_guest_may_not_create_an_item(client, guest):
    response = await client.post("/items", json={"title": "notes"}, headers=guest.headers)

    assert response.status_code == 403


async def test_create_ignores_an_owner_id_in_the_body(client, user, accounts):
    other = await accounts.create(login=False)

    body = await create(client, user, owner_id=str(other.id))

    assert body["owner_id"] == str(user.id)


async def test_create_without_a_title_is_a_validation_error(client, user):
    response = await client.post("/items", json={"description": "no title"}, headers=user.headers)

    assert response.status_code == 422


async def test_create_with_an_empty_title_is_a_validation_error(client, user):
    response = await client.post("/items", json={"title": ""}, headers=user.headers)

    assert response.status_code == 422


# --- list ---------------------------------------------------------------------------------------


async def test_list_shows_only_the_callers_own_items(client, user, accounts):
    other = await accounts.create()
    mine = await create(client, user)
    await create(client, other)

    response = await client.get("/items", headers=user.headers)

    assert response.status_code == 200
    body = response.json()
    assert [item["id"] for item in body["items"]] == [mine["id"]]
    assert body["total"] == 1


async def test_user_passing_owner_id_still_sees_only_own_items(client, user, accounts):
    other = await accounts.create()
    mine = await create(client, user)
    await create(client, other)

    assert await listed_ids(client, user, owner_id=str(other.id)) == [mine["id"]]


async def test_admin_sees_all_items(client, admin, user, accounts):
    other = await accounts.create()
    ids = {(await create(client, user))["id"], (await create(client, other))["id"], (await create(client, admin))["id"]}

    assert set(await listed_ids(client, admin)) == ids


async def test_admin_may_filter_by_owner_id(client, admin, user, accounts):
    other = await accounts.create()
    users_item = await create(client, user)
    await create(client, other)

    assert await listed_ids(client, admin, owner_id=str(user.id)) == [users_item["id"]]


async def test_list_pages_with_limit_and_offset(client, user):
    for number in range(3):
        await create(client, user, title=f"item {number}")

    first = (await client.get("/items", params={"limit": 2}, headers=user.headers)).json()
    second = (await client.get("/items", params={"limit": 2, "offset": 2}, headers=user.headers)).json()

    assert first["total"] == second["total"] == 3
    assert len(first["items"]) == 2
    assert len(second["items"]) == 1
    assert not {item["id"] for item in first["items"]} & {item["id"] for item in second["items"]}


async def test_guest_lists_own_items(client, app, guest):
    item = await insert_item(app, owner_id=guest.id)

    assert await listed_ids(client, guest) == [str(item.id)]


# --- read ---------------------------------------------------------------------------------------


async def test_owner_reads_own_item(client, user):
    item = await create(client, user)

    response = await client.get(f"/items/{item['id']}", headers=user.headers)

    assert response.status_code == 200
    assert response.json() == item


async def test_admin_reads_another_users_item(client, admin, user):
    item = await create(client, user)

    response = await client.get(f"/items/{item['id']}", headers=admin.headers)

    assert response.status_code == 200


async def test_another_users_item_is_404(client, user, accounts):
    other = await accounts.create()
    item = await create(client, other)

    response = await client.get(f"/items/{item['id']}", headers=user.headers)

    assert response.status_code == 404
    assert response.json()["detail"] == "ITEM_NOT_FOUND"


async def test_another_users_item_answers_exactly_like_a_missing_one(client, user, accounts):
    other = await accounts.create()
    item = await create(client, other)

    foreign = await client.get(f"/items/{item['id']}", headers=user.headers)
    missing = await client.get(f"/items/{uuid.uuid4()}", headers=user.headers)

    assert foreign.status_code == missing.status_code == 404
    assert foreign.json() == missing.json()


async def test_guest_reads_own_item(client, app, guest):
    item = await insert_item(app, owner_id=guest.id, title="given to the guest")

    response = await client.get(f"/items/{item.id}", headers=guest.headers)

    assert response.status_code == 200
    assert response.json()["title"] == "given to the guest"


async def test_malformed_item_id_is_422(client, user):
    response = await client.get("/items/not-a-uuid", headers=user.headers)

    assert response.status_code == 422


# --- update -------------------------------------------------------------------------------------


async def test_owner_updates_own_item(client, user):
    item = await create(client, user, description="before")

    response = await client.patch(
        f"/items/{item['id']}", json={"title": "renamed", "description": "after"}, headers=user.headers
    )

    assert response.status_code == 200
    assert response.json()["title"] == "renamed"
    assert response.json()["description"] == "after"


async def test_update_leaves_fields_not_sent_unchanged(client, user):
    item = await create(client, user, description="keep me")

    response = await client.patch(f"/items/{item['id']}", json={"title": "renamed"}, headers=user.headers)

    assert response.json()["description"] == "keep me"


async def test_update_may_clear_the_description(client, user):
    item = await create(client, user, description="remove me")

    response = await client.patch(f"/items/{item['id']}", json={"description": None}, headers=user.headers)

    assert response.status_code == 200
    assert response.json()["description"] is None


async def test_update_cannot_remove_the_title(client, user):
    item = await create(client, user, title="keep this title")

    response = await client.patch(f"/items/{item['id']}", json={"title": None}, headers=user.headers)

    assert response.status_code == 200
    assert response.json()["title"] == "keep this title"


async def test_update_cannot_change_the_owner(client, user, accounts):
    other = await accounts.create(login=False)
    item = await create(client, user)

    response = await client.patch(f"/items/{item['id']}", json={"owner_id": str(other.id)}, headers=user.headers)

    assert response.json()["owner_id"] == str(user.id)


async def test_admin_updates_another_users_item(client, admin, user):
    item = await create(client, user)

    response = await client.patch(f"/items/{item['id']}", json={"title": "moderated"}, headers=admin.headers)

    assert response.status_code == 200
    assert response.json()["title"] == "moderated"


async def test_updating_another_users_item_is_404_and_changes_nothing(client, user, accounts):
    other = await accounts.create()
    item = await create(client, other, title="original")

    response = await client.patch(f"/items/{item['id']}", json={"title": "hijacked"}, headers=user.headers)

    assert response.status_code == 404
    assert (await client.get(f"/items/{item['id']}", headers=other.headers)).json()["title"] == "original"


async def test_guest_may_not_update_own_item(client, app, guest):
    item = await insert_item(app, owner_id=guest.id)

    response = await client.patch(f"/items/{item.id}", json={"title": "renamed"}, headers=guest.headers)

    assert response.status_code == 403


# --- delete -------------------------------------------------------------------------------------


async def test_owner_deletes_own_item(client, user):
    item = await create(client, user)

    response = await client.delete(f"/items/{item['id']}", headers=user.headers)

    assert response.status_code == 204
    assert (await client.get(f"/items/{item['id']}", headers=user.headers)).status_code == 404


async def test_admin_deletes_another_users_item(client, admin, user):
    item = await create(client, user)

    response = await client.delete(f"/items/{item['id']}", headers=admin.headers)

    assert response.status_code == 204


async def test_deleting_another_users_item_is_404_and_keeps_it(client, user, accounts):
    other = await accounts.create()
    item = await create(client, other)

    response = await client.delete(f"/items/{item['id']}", headers=user.headers)

    assert response.status_code == 404
    assert (await client.get(f"/items/{item['id']}", headers=other.headers)).status_code == 200


async def test_guest_may_not_delete_own_item(client, app, guest):
    item = await insert_item(app, owner_id=guest.id)

    response = await client.delete(f"/items/{item.id}", headers=guest.headers)

    assert response.status_code == 403
    assert (await client.get(f"/items/{item.id}", headers=guest.headers)).status_code == 200


async def test_deleting_a_missing_item_is_404(client, user):
    response = await client.delete(f"/items/{uuid.uuid4()}", headers=user.headers)

    assert response.status_code == 404
