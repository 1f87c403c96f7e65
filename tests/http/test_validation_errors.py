"""A 422 answer says what is wrong and where, in a few hundred bytes, whatever the request held.

How long the worst bodies hold the event loop is measured by `python -m tests.http.worst_bodies`,
not asserted here: these tests check what the answers say and how large they are.
"""

from __future__ import annotations

import json

import pytest

from app.http.errors import MAX_ECHOED_CHARACTERS, MAX_REPORTED_ERRORS
from tests.http.worst_bodies import shapes

# The largest answer any of the worst bodies may get: 20 bounded errors and a message.
MAX_ANSWER_BYTES = 8 * 1024


def post_json(client, path, body, headers):
    return client.post(path, content=json.dumps(body), headers={**headers, "Content-Type": "application/json"})


async def test_a_long_string_input_is_echoed_cut_to_a_short_excerpt(client, user):
    response = await post_json(client, "/items", {"title": "t" * 100_000}, user.headers)

    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "title"]
    assert error["input"] == "t" * MAX_ECHOED_CHARACTERS + "..."


async def test_an_object_or_array_input_is_echoed_as_a_marker_saying_what_it_was(client, user):
    response = await post_json(client, "/items", {"title": {"a": 1, "b": 2}, "description": [1, 2, 3]}, user.headers)

    assert response.status_code == 422
    inputs = {tuple(error["loc"]): error["input"] for error in response.json()["detail"]}
    assert inputs == {("body", "title"): "<object of 2 members>", ("body", "description"): "<array of 3 items>"}


async def test_a_missing_field_does_not_echo_the_whole_body(client):
    response = await post_json(client, "/auth/register", {"email": "x@example.com", "padding": "p" * 50_000}, {})

    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["type"] == "missing"
    assert error["input"] == "<object of 2 members>"
    assert len(response.content) < 1024


async def test_at_most_twenty_errors_are_listed_and_the_rest_counted(client, user):
    unknown = {f"unknown{number}": 0 for number in range(50)}

    response = await post_json(client, "/api-keys", {"name": "k", **unknown}, user.headers)

    assert response.status_code == 422
    body = response.json()
    assert len(body["detail"]) == MAX_REPORTED_ERRORS
    assert body["omitted_errors"] == 50 - MAX_REPORTED_ERRORS
    assert body["message"] == "The request is not valid: 50 validation errors; the first 20 are listed."


async def test_a_single_error_is_reported_with_a_message_and_nothing_omitted(client, user):
    response = await post_json(client, "/items", {"title": ""}, user.headers)

    assert response.status_code == 422
    body = response.json()
    assert [error["type"] for error in body["detail"]] == ["string_too_short"]
    assert body["omitted_errors"] == 0
    assert body["message"] == "The request is not valid: 1 validation error."


async def test_a_huge_unknown_member_name_is_cut_in_the_location(client, user):
    response = await post_json(client, "/api-keys", {"name": "k", "n" * 100_000: 0}, user.headers)

    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["type"] == "extra_forbidden"
    assert error["loc"] == ["body", "n" * MAX_ECHOED_CHARACTERS + "..."]


async def test_a_number_too_large_to_echo_is_replaced_by_a_marker(client, user):
    response = await client.post(
        "/items",
        content=b'{"title": ' + b"9" * 4000 + b"}",
        headers={**user.headers, "Content-Type": "application/json"},
    )

    assert response.status_code == 422
    assert response.json()["detail"][0]["input"] == "<integer>"


@pytest.mark.parametrize("shape", shapes(), ids=lambda shape: shape.name)
async def test_the_worst_bodies_within_the_limit_get_a_short_answer_never_a_500(client, user, shape):
    headers = {"Content-Type": shape.content_type, **(user.headers if shape.authenticated else {})}

    response = await client.request(shape.method, shape.path, content=shape.content, headers=headers)

    assert response.status_code in {400, 413, 422}, response.text[:500]
    assert len(response.content) <= MAX_ANSWER_BYTES
