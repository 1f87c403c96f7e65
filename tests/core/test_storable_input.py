"""Input that a database cannot store or count is refused with a 422 naming the field, never a 500,
on SQLite and PostgreSQL alike: text with NUL (PostgreSQL text cannot hold it), numbers beyond 64
bits, times beyond year 9999 in UTC, text that is not valid Unicode."""

from __future__ import annotations

import pytest

from app.core.storable import MAX_INTEGER

NUL_TEXT = "before\x00after"


def refused_field(response, *location: str) -> None:
    assert response.status_code == 422, response.text
    assert [error["loc"] for error in response.json()["detail"]] == [list(location)]


async def test_an_item_title_with_nul_is_refused(client, user):
    response = await client.post("/items", json={"title": NUL_TEXT}, headers=user.headers)

    refused_field(response, "body", "title")


async def test_an_item_description_change_with_nul_is_refused(client, user):
    created = await client.post("/items", json={"title": "fine"}, headers=user.headers)

    response = await client.patch(
        f"/items/{created.json()['id']}", json={"description": NUL_TEXT}, headers=user.headers
    )

    refused_field(response, "body", "description")
    unchanged = await client.get(f"/items/{created.json()['id']}", headers=user.headers)
    assert unchanged.json()["description"] is None


async def test_an_api_key_name_with_nul_is_refused(client, user):
    response = await client.post("/api-keys", json={"name": NUL_TEXT}, headers=user.headers)

    refused_field(response, "body", "name")


async def test_an_email_search_with_nul_is_refused(client, admin):
    response = await client.get("/admin/users", params={"q": NUL_TEXT}, headers=admin.headers)

    refused_field(response, "query", "q")


async def test_a_login_with_nul_in_the_username_finds_no_account(client, user):
    response = await client.post("/auth/jwt/login", data={"username": user.email + "\x00", "password": user.password})

    assert response.status_code == 400
    assert response.json()["detail"] == "LOGIN_BAD_CREDENTIALS"


@pytest.mark.parametrize("path", ["/items", "/admin/users", "/admin/api-keys"])
async def test_an_offset_beyond_64_bits_is_refused(client, admin, path):
    response = await client.get(path, params={"offset": MAX_INTEGER + 1}, headers=admin.headers)

    refused_field(response, "query", "offset")


@pytest.mark.parametrize("path", ["/items", "/admin/users", "/admin/api-keys"])
async def test_the_largest_offset_answers_an_empty_page(client, admin, path):
    response = await client.get(path, params={"offset": MAX_INTEGER}, headers=admin.headers)

    assert response.status_code == 200, response.text
    assert response.json()["items"] == []
    assert response.json()["offset"] == MAX_INTEGER


async def test_an_expiry_beyond_year_9999_in_utc_is_refused(client, user):
    # Still year 9999 as written, but 05:00 on 10000-01-01 in UTC, where it is stored.
    response = await client.post(
        "/api-keys", json={"name": "k", "expires_at": "9999-12-31T23:59:59-05:00"}, headers=user.headers
    )

    refused_field(response, "body", "expires_at")


async def test_text_that_is_not_valid_unicode_is_refused_with_a_readable_answer(client, user):
    response = await client.post(
        "/items",
        content=b'{"title": "a\\ud800b"}',  # a lone surrogate: no UTF-8 encoding exists for it
        headers={**user.headers, "Content-Type": "application/json"},
    )

    refused_field(response, "body", "title")
    assert response.json()["detail"][0]["input"] == "a\ud800b"
