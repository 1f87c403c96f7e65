"""Body and header limits against a real uvicorn (`python -m app`): chunked uploads, heads that
the server must refuse before buffering them, and the worker's memory under large bodies."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import sys
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from app.http.server import MAX_HEAD_BYTES
from scripts.servers.ports import LOOPBACK
from scripts.servers.service import ServiceProcess
from tests.http.real_server import peak_memory_kib, running

pytestmark = pytest.mark.processes

LIMIT = 1024 * 1024
CHUNK = 64 * 1024


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceProcess]:
    with running(tmp_path_factory.mktemp("limits")) as process:
        yield process


async def chunks(total: int) -> AsyncIterator[bytes]:
    """A body without Content-Length: httpx sends it with Transfer-Encoding: chunked."""
    for _ in range(total // CHUNK):
        yield b"x" * CHUNK


@pytest.mark.parametrize(
    ("path", "content_type"),
    [("/auth/register", "application/json"), ("/auth/jwt/login", "application/x-www-form-urlencoded")],
)
async def test_a_chunked_upload_past_the_limit_is_answered_413(server, path, content_type):
    async with httpx.AsyncClient(base_url=server.url, timeout=60) as client:
        response = await client.post(path, content=chunks(4 * LIMIT), headers={"Content-Type": content_type})

    assert response.status_code == 413
    assert response.json()["detail"] == "REQUEST_TOO_LARGE"


async def test_a_body_declared_far_past_the_limit_is_answered_413_to_a_client_still_sending(server):
    async with httpx.AsyncClient(base_url=server.url, timeout=60) as client:
        response = await client.post(
            "/auth/register", content=b"x" * (20 * LIMIT), headers={"Content-Type": "application/json"}
        )

    assert response.status_code == 413
    assert response.json()["detail"] == "REQUEST_TOO_LARGE"


def raw_request(server: ServiceProcess, head: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send `head` as it is (httpx refuses URLs this long) and read the answer."""
    with socket.create_connection((LOOPBACK, server.port), timeout=60) as connection:
        connection.sendall(head)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    status_line, _, rest = answer.partition(b"\r\n")
    header_block, _, body = rest.partition(b"\r\n\r\n")
    headers = dict(line.decode().split(": ", 1) for line in header_block.split(b"\r\n"))
    return int(status_line.split()[1]), {name.lower(): value for name, value in headers.items()}, body


@pytest.mark.parametrize(
    "head",
    [
        b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * (2 * MAX_HEAD_BYTES) + b"\r\n\r\n",
        b"GET /health?q=" + b"a" * (2 * MAX_HEAD_BYTES) + b" HTTP/1.1\r\nHost: x\r\n\r\n",
    ],
    ids=["a long header", "a long url"],
)
def test_a_request_head_past_the_server_bound_is_refused_431_as_it_arrives(server, head):
    status, headers, body = raw_request(server, head)

    assert status == 431
    assert json.loads(body)["detail"] == "REQUEST_HEADERS_TOO_LARGE"
    assert headers["x-content-type-options"] == "nosniff"
    assert httpx.get(f"{server.url}/health").status_code == 200


def test_a_megabyte_header_is_never_held_whole_by_the_worker(server):
    before = peak_memory_kib(server)

    for _ in range(5):
        with contextlib.suppress(httpx.TransportError):  # closed while it still sends
            httpx.get(f"{server.url}/health", headers={"X-Big": "a" * (32 * LIMIT)}, timeout=60)

    assert peak_memory_kib(server) - before < 16 * 1024  # KiB: less than half of one such header


def test_more_headers_than_the_application_allows_are_431_through_the_server(server):
    headers = [(f"x-header-{number}", "v") for number in range(200)]

    response = httpx.get(f"{server.url}/health", headers=headers)

    assert response.status_code == 431
    assert response.json()["detail"] == "REQUEST_HEADERS_TOO_LARGE"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads the peak memory from /proc")
async def test_the_worker_memory_stays_flat_under_a_flood_of_large_bodies(server):
    body = b"x" * (16 * LIMIT)

    async def flood(client: httpx.AsyncClient, rounds: int) -> list[int]:
        async def one(number: int) -> int:
            if number % 2:
                answer = await client.post("/items", content=body, headers={"Content-Type": "application/json"})
            else:
                form = {"Content-Type": "application/x-www-form-urlencoded"}
                answer = await client.post("/auth/jwt/login", content=chunks(16 * LIMIT), headers=form)
            return answer.status_code

        statuses: list[int] = []
        for _ in range(rounds):
            statuses += await asyncio.gather(*(one(number) for number in range(8)))
        return statuses

    async with httpx.AsyncClient(base_url=server.url, timeout=120) as client:
        await flood(client, rounds=2)  # the first requests of each kind allocate what they keep
        before = peak_memory_kib(server)
        statuses = await flood(client, rounds=6)  # 48 bodies of 16 MiB, 8 at a time

    assert set(statuses) == {413}
    # KiB: holding the 8 bodies of a round would take 128 MiB; reading each up to the limit, 8 MiB.
    assert peak_memory_kib(server) - before < 32 * 1024
