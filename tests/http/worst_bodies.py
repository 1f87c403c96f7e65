"""The worst request bodies within MAX_REQUEST_BODY_BYTES, and how long each holds the event loop.

Each shape is built to fill the body limit (1 MiB by default) with what costs the most to parse,
validate or answer: tens of thousands of unknown members, a 1 MiB array, deep nesting, huge keys,
thousands of lone surrogates, numbers of thousands of digits, a form of a million bytes.

    .venv/bin/python -m tests.http.worst_bodies

runs every shape against the app in this process and prints, for each, the answer and the
longest single step the event loop ran (a callback or task step: parsing, validation and the
error answer all happen in such steps, and nothing else runs on the loop meanwhile). The tests
(tests/http/test_validation_errors.py) use the same shapes to check the answers, without timing.
"""

from __future__ import annotations

import asyncio
import gc
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

LIMIT = 1024 * 1024
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"


@dataclass(frozen=True)
class Shape:
    name: str
    method: str
    path: str
    content: bytes
    content_type: str = JSON
    authenticated: bool = False


def _fill(head: str, member: Callable[[int], str], tail: str, *, limit: int = LIMIT, separator: str = ",") -> bytes:
    """`head + member(0) + separator + member(1) + ... + tail`, as many members as fit in `limit` bytes."""
    parts = [head]
    size = len(head.encode()) + len(tail.encode())
    index = 0
    while True:
        piece = (separator if index else "") + member(index)
        size += len(piece.encode())
        if size > limit:
            break
        parts.append(piece)
        index += 1
    parts.append(tail)
    return "".join(parts).encode()


def _nested(depth_budget: int) -> bytes:
    depth = (depth_budget - len('{"title":}')) // 2
    return ('{"title":' + "[" * depth + "]" * depth + "}").encode()


def shapes(limit: int = LIMIT) -> list[Shape]:
    return [
        Shape(
            "register: one object of unknown members",
            "POST",
            "/auth/register",
            _fill("{", lambda i: f'"m{i}":0', "}", limit=limit),
        ),
        Shape(
            "api key: unknown members (each one an error)",
            "POST",
            "/api-keys",
            _fill('{"name":"k",', lambda i: f'"m{i}":0', "}", limit=limit),
            authenticated=True,
        ),
        Shape(
            "api key: one member with a 1 MiB name",
            "POST",
            "/api-keys",
            ('{"name":"k","' + "x" * (limit - 20) + '":0}').encode(),
            authenticated=True,
        ),
        Shape(
            "users/me: a 1 MiB array",
            "PATCH",
            "/users/me",
            _fill("[", lambda i: "0", "]", limit=limit),
            authenticated=True,
        ),
        Shape(
            "items: a 1 MiB title",
            "POST",
            "/items",
            ('{"title":"' + "t" * (limit - 20) + '"}').encode(),
            authenticated=True,
        ),
        Shape(
            "items: a title of unknown members",
            "POST",
            "/items",
            _fill('{"title":{', lambda i: f'"m{i}":0', "}}", limit=limit),
            authenticated=True,
        ),
        Shape(
            "items: deep nesting",
            "POST",
            "/items",
            _nested(limit),
            authenticated=True,
        ),
        Shape(
            "items: nesting at the parser's depth, many times",
            "POST",
            "/items",
            _fill('{"title":[', lambda i: "[" * 900 + "]" * 900, "]}", limit=limit),
            authenticated=True,
        ),
        Shape(
            "api key: a name of lone surrogates",
            "POST",
            "/api-keys",
            _fill('{"name":"', lambda i: "\\ud800", '"}', limit=limit, separator=""),
            authenticated=True,
        ),
        Shape(
            "api key: numbers of 4,000 digits",
            "POST",
            "/api-keys",
            _fill('{"name":[', lambda i: "9" * 4000, "]}", limit=limit),
            authenticated=True,
        ),
        Shape(
            "register: a 1 MiB email",
            "POST",
            "/auth/register",
            ('{"password":"a-long-enough-password","email":"' + "e" * (limit - 80) + '@example.com"}').encode(),
        ),
        Shape(
            "register: a 1 MiB password",
            "POST",
            "/auth/register",
            ('{"email":"long@example.com","password":"' + "p" * (limit - 60) + '"}').encode(),
        ),
        Shape(
            "items: a description of escapes",
            "POST",
            "/items",
            _fill('{"title":"t","description":"', lambda i: "\\u00e9", '"}', limit=limit, separator=""),
            authenticated=True,
        ),
        Shape(
            "api key: a number of a million digits",
            "POST",
            "/api-keys",
            ('{"name":0.' + "1" * (limit - 20) + "}").encode(),
            authenticated=True,
        ),
        Shape(
            "items: 499 objects (near the most values let through)",
            "POST",
            "/items",
            ('{"title":[' + ",".join('{"m":"' + "v" * 2000 + '"}' for _ in range(499)) + "]}").encode(),
            authenticated=True,
        ),
        Shape(
            "api key: 999 unknown members (the most let through)",
            "POST",
            "/api-keys",
            ('{"name":"k",' + ",".join(f'"m{i}":"{"v" * 1000}"' for i in range(998)) + "}").encode(),
            authenticated=True,
        ),
        Shape(
            "register: invalid JSON at the last byte",
            "POST",
            "/auth/register",
            _fill("[", lambda i: "0", "", limit=limit - 1) + b"}",
        ),
        Shape(
            "login: a form of many fields",
            "POST",
            "/auth/jwt/login",
            _fill("", lambda i: f"f{i}=x", "", limit=limit, separator="&"),
            content_type=FORM,
        ),
        Shape(
            "users/me: unknown members holding objects",
            "PATCH",
            "/users/me",
            _fill("{", lambda i: f'"m{i}":{{"a":[0,0]}}', "}", limit=limit),
            authenticated=True,
        ),
    ]


# --- measuring --------------------------------------------------------------------------------


@dataclass
class Steps:
    """What the loop ran during one request: its longest step, and the full garbage collections
    (of the whole process's heap, whatever the request) that ran meanwhile."""

    longest: float  # wall-clock seconds
    longest_cpu: float  # seconds of the loop thread's CPU time: the same on a machine not shared
    full_collections: list[float]


@contextmanager
def timed_loop_steps() -> Iterator[Steps]:
    """Time each callback of the (pure-Python) asyncio loop, and each full collection."""
    steps = Steps(longest=0.0, longest_cpu=0.0, full_collections=[])
    original = asyncio.events.Handle._run
    collection_started = 0.0

    def timed(handle: asyncio.events.Handle) -> None:
        start, start_cpu = time.perf_counter(), time.thread_time()
        try:
            original(handle)
        finally:
            steps.longest = max(steps.longest, time.perf_counter() - start)
            steps.longest_cpu = max(steps.longest_cpu, time.thread_time() - start_cpu)

    def collection(phase: str, info: dict[str, int]) -> None:
        nonlocal collection_started
        if info["generation"] != 2:
            return
        if phase == "start":
            collection_started = time.perf_counter()
        else:
            steps.full_collections.append(time.perf_counter() - collection_started)

    asyncio.events.Handle._run = timed  # type: ignore[method-assign]
    gc.callbacks.append(collection)
    try:
        yield steps
    finally:
        asyncio.events.Handle._run = original  # type: ignore[method-assign]
        gc.callbacks.remove(collection)


async def measure(rounds: int) -> list[tuple[Shape, int, int, list[Steps]]]:
    import httpx
    from asgi_lifespan import LifespanManager

    from app.config import Settings
    from app.main import create_app

    with tempfile.TemporaryDirectory() as directory:
        settings = Settings(  # type: ignore[call-arg]
            _env_file=None,
            database_url=f"sqlite+aiosqlite:///{Path(directory) / 'measure.db'}",
            secret_key="measure-" + "x" * 40,
            password_bcrypt_rounds=4,
            register_rate_limit="100000/minute",
            login_rate_limit="100000/minute",
        )
        app = create_app(settings)
        async with LifespanManager(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
                credentials = {"email": "measure@example.com", "password": "a-long-enough-password"}
                assert (await client.post("/auth/register", json=credentials)).status_code == 201
                login = await client.post(
                    "/auth/jwt/login", data={"username": credentials["email"], "password": credentials["password"]}
                )
                headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
                results = []
                for shape in shapes(settings.max_request_body_bytes):
                    measured: list[Steps] = []
                    status = size = 0
                    for _ in range(rounds):
                        request_headers = {"Content-Type": shape.content_type}
                        if shape.authenticated:
                            request_headers.update(headers)
                        with timed_loop_steps() as steps:
                            # A task of its own, so that its steps run as loop callbacks (timed).
                            answer = await asyncio.create_task(
                                client.request(shape.method, shape.path, content=shape.content, headers=request_headers)
                            )
                        status, size = answer.status_code, len(answer.content)
                        measured.append(steps)
                    results.append((shape, status, size, measured))
                return results


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    results = asyncio.run(measure(rounds))
    print(f"longest event-loop step per request, ms, over {rounds} rounds; bodies <= 1 MiB")
    print("  cpu: the loop thread's CPU time in that step (what an unshared machine would take), median / max")
    print("  wall: clock time, max; clean: max of the rounds in which no full garbage collection ran")
    collections: list[float] = []
    for shape, status, size, measured in results:
        cpu = [steps.longest_cpu * 1000 for steps in measured]
        wall = [steps.longest * 1000 for steps in measured]
        clean = [steps.longest_cpu * 1000 for steps in measured if not steps.full_collections] or [float("nan")]
        collections += [pause * 1000 for steps in measured for pause in steps.full_collections]
        print(
            f"{shape.name:<56} {len(shape.content):>8} B -> {status} ({size:>4} B)"
            f"  cpu {statistics.median(cpu):5.1f} / {max(cpu):5.1f}  wall {max(wall):6.1f}  clean {max(clean):5.1f}"
        )
    if collections:
        print(f"full collections during the requests: {len(collections)}, longest {max(collections):.1f} ms")


if __name__ == "__main__":
    main()
