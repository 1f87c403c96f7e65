"""Body and header limits, in process: 413 and 431 answers, and how much of a body is ever read.

The same limits against a real uvicorn (chunked uploads, a megabyte of headers, memory under a
flood of large bodies) are in tests/http/test_limits_real_server.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from app.http.limits import DRAIN_BYTES, MAX_HEADER_BYTES, MAX_HEADER_COUNT, MAX_JSON_VALUES, json_values

LIMIT = 4096
CHUNK = 64 * 1024


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"max_request_body_bytes": LIMIT}


class RawCall:
    """Calls the app as a server would, with a body fed in chunks, recording what it read."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self.chunks = chunks
        self.read = 0
        self.messages: list[dict[str, object]] = []

    async def receive(self) -> dict[str, object]:
        chunk = next(self.chunks, None)
        if chunk is None:
            return {"type": "http.request", "body": b"", "more_body": False}
        self.read += len(chunk)
        return {"type": "http.request", "body": chunk, "more_body": True}

    async def send(self, message: dict[str, object]) -> None:
        self.messages.append(message)

    @property
    def status(self) -> int:
        status = self.messages[0]["status"]
        assert isinstance(status, int)
        return status

    @property
    def headers(self) -> dict[bytes, bytes]:
        return dict(self.messages[0]["headers"])  # type: ignore[call-overload]

    @property
    def body(self) -> dict[str, object]:
        return json.loads(b"".join(message.get("body", b"") for message in self.messages[1:]))  # type: ignore[misc]


def scope(path: str, headers: list[tuple[bytes, bytes]]) -> dict[str, object]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"testserver"), *headers],
        "client": ("203.0.113.10", 50000),
        "server": ("testserver", 80),
    }


def endless(chunk: bytes) -> Iterator[bytes]:
    while True:
        yield chunk


async def test_a_body_declared_larger_than_the_limit_is_413_before_any_of_it_is_read(app):
    call = RawCall(endless(b"x" * CHUNK))

    await app(scope("/auth/register", [(b"content-length", str(LIMIT + 1).encode())]), call.receive, call.send)

    assert call.status == 413
    assert call.body["detail"] == "REQUEST_TOO_LARGE"
    assert call.read == 0


async def test_a_declared_body_beyond_what_is_drained_also_closes_the_connection(app):
    call = RawCall(endless(b"x" * CHUNK))

    await app(scope("/auth/register", [(b"content-length", str(DRAIN_BYTES + 1).encode())]), call.receive, call.send)

    assert call.status == 413
    assert call.headers[b"connection"] == b"close"


async def test_a_declared_body_the_client_waits_to_send_closes_the_connection(app):
    headers = [(b"content-length", str(LIMIT + 1).encode()), (b"expect", b"100-continue")]
    call = RawCall(endless(b"x" * CHUNK))

    await app(scope("/auth/register", headers), call.receive, call.send)

    assert call.status == 413
    assert call.headers[b"connection"] == b"close"


@pytest.mark.parametrize(
    ("path", "content_type"),
    [("/auth/register", b"application/json"), ("/auth/jwt/login", b"application/x-www-form-urlencoded")],
)
async def test_a_body_of_unknown_length_is_refused_once_past_the_limit_and_read_no_further_than_the_drain(
    app, path, content_type
):
    call = RawCall(endless(b"x" * CHUNK))  # never ends

    await app(scope(path, [(b"content-type", content_type)]), call.receive, call.send)

    assert call.status == 413
    assert call.body["detail"] == "REQUEST_TOO_LARGE"
    assert call.headers[b"connection"] == b"close"
    assert call.read <= DRAIN_BYTES + CHUNK


async def test_a_refused_body_that_ends_within_the_drain_keeps_the_connection(app):
    chunks = iter([b"x" * 1000] * 10)  # 10,000 bytes, then the end

    call = RawCall(chunks)
    await app(
        scope("/auth/jwt/login", [(b"content-type", b"application/x-www-form-urlencoded")]), call.receive, call.send
    )

    assert call.status == 413
    assert b"connection" not in call.headers


async def test_a_json_body_larger_than_the_limit_is_413(client):
    response = await client.post("/auth/register", json={"email": "a@example.com", "password": "p" * LIMIT})

    assert response.status_code == 413
    assert response.json() == {
        "detail": "REQUEST_TOO_LARGE",
        "message": f"The request body is larger than the limit of {LIMIT} bytes.",
    }


async def test_a_form_body_larger_than_the_limit_is_413(client):
    response = await client.post("/auth/jwt/login", data={"username": "a@example.com", "password": "p" * LIMIT})

    assert response.status_code == 413
    assert response.json()["detail"] == "REQUEST_TOO_LARGE"


async def test_a_body_within_the_limit_is_served(client, user):
    response = await client.post(
        "/items", json={"title": "t", "description": "d" * (LIMIT - 100)}, headers=user.headers
    )

    assert response.status_code == 201


class TestJsonValues:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, object]:
        return {}  # the default limit, 1 MiB

    async def test_a_json_body_of_more_values_than_allowed_is_413(self, client, user):
        response = await client.post("/items", json={"title": [0] * MAX_JSON_VALUES}, headers=user.headers)

        assert response.status_code == 413
        assert response.json() == {
            "detail": "REQUEST_TOO_LARGE",
            "message": f"A JSON request body may hold at most {MAX_JSON_VALUES} values.",
        }

    async def test_commas_and_brackets_inside_strings_are_not_values(self, client, user):
        description = ',[{"\\' * 2000  # 10,000 characters that would be structure outside a string

        response = await client.post("/items", json={"title": "t", "description": description}, headers=user.headers)

        assert response.status_code == 201
        assert response.json()["description"] == description


PADDING = ",".join(["0"] * MAX_JSON_VALUES)  # past the quick count, where the exact one starts


@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("0", 1),
        ("{}", 2),  # an empty container counts as two
        ('{"a": 1, "b": [1, 2, {"c": null}]}', 7),
        ('["a,b", "[{", "\\"", "\\\\", ",", "\\\\\\"[,"]', 7),
        ('{"key, with [commas]": "and {brackets}"}', 2),
    ],
)
def test_json_values_counts_members_and_elements_at_every_depth_not_what_strings_hold(text, values):
    padded = f"[{text},{PADDING}]"
    json.loads(padded)  # valid JSON

    assert json_values(padded.encode()) == 1 + values + MAX_JSON_VALUES


def test_json_values_under_the_limit_may_count_more_never_fewer():
    text = '["a,b", "[{"]'

    assert json_values(text.encode()) >= 3


async def test_more_headers_than_allowed_are_431(client):
    headers = [(f"x-header-{number}", "v") for number in range(MAX_HEADER_COUNT + 1)]

    response = await client.get("/health", headers=headers)

    assert response.status_code == 431
    assert response.json()["detail"] == "REQUEST_HEADERS_TOO_LARGE"


async def test_headers_larger_than_allowed_in_all_are_431(client):
    headers = {f"x-header-{number}": "v" * 1000 for number in range(MAX_HEADER_BYTES // 1000 + 1)}

    response = await client.get("/health", headers=headers)

    assert response.status_code == 431
    assert response.json()["detail"] == "REQUEST_HEADERS_TOO_LARGE"


async def test_headers_within_the_limits_are_served(client):
    headers = {f"x-header-{number}": "v" * 100 for number in range(MAX_HEADER_COUNT - 10)}

    response = await client.get("/health", headers=headers)

    assert response.status_code == 200
