"""A small HTTP client for setting up accounts and for the login load.

The standard library's `http.client` keeps one connection alive per client, needs nothing beyond
the service's own dependencies, and is plenty for a few requests and for login loops whose cost
is the server's password hashing.
"""

from __future__ import annotations

import http.client
import json
import statistics
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

_RETRYABLE = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)


class UnexpectedResponse(RuntimeError):
    """The server answered something the benchmark cannot continue from."""


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def expect(self, *statuses: int, what: str) -> Response:
        if self.status not in statuses:
            raise UnexpectedResponse(f"{what}: expected {statuses}, got {self.status} {self.body[:300]!r}")
        return self


class Client:
    """One keep-alive HTTP/1.1 connection to a server on 127.0.0.1."""

    def __init__(self, port: int, *, timeout_s: float = 30) -> None:
        self.port = port
        self._connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout_s)

    def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        form: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        sent = dict(headers or {})
        body: bytes | None = None
        if json_body is not None:
            body, sent["Content-Type"] = json.dumps(json_body).encode(), "application/json"
        elif form is not None:
            body, sent["Content-Type"] = urllib.parse.urlencode(form).encode(), "application/x-www-form-urlencoded"
        for attempt in (1, 2):  # the server may have closed an idle keep-alive connection
            try:
                self._connection.request(method, path, body=body, headers=sent)
                answer = self._connection.getresponse()
                return Response(answer.status, answer.read())
            except _RETRYABLE:
                self._connection.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        self._connection.close()

    # The service's account routes (the reference app has the same ones, from fastapi-users).
    def register(self, email: str, password: str) -> None:
        self.request("POST", "/auth/register", json_body={"email": email, "password": password}).expect(
            201, what=f"registering {email}"
        )

    def login(self, email: str, password: str) -> str:
        answer = self.request("POST", "/auth/jwt/login", form={"username": email, "password": password})
        token: str = answer.expect(200, what=f"logging in {email}").json()["access_token"]
        return token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass
class LoginLoad:
    """`clients` threads, each logging in back to back with correct credentials on its own
    connection, until stopped or until `max_duration_s` has passed."""

    port: int
    email: str
    password: str
    clients: int = 8
    max_duration_s: float = 600
    _completions: list[tuple[float, float]] = field(default_factory=list)  # (finished at, seconds)
    _failures: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)

    def __enter__(self) -> LoginLoad:
        deadline = time.monotonic() + self.max_duration_s
        self._threads = [
            threading.Thread(target=self._loop, args=(deadline,), name=f"login-{index}", daemon=True)
            for index in range(self.clients)
        ]
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=60)

    def _loop(self, deadline: float) -> None:
        client = Client(self.port, timeout_s=60)
        form = {"username": self.email, "password": self.password}
        try:
            while not self._stop.is_set() and time.monotonic() < deadline:
                started = time.monotonic()
                try:
                    answer = client.request("POST", "/auth/jwt/login", form=form)
                except (OSError, http.client.HTTPException) as error:
                    self._fail(type(error).__name__)
                    client.close()
                    time.sleep(0.1)
                    continue
                finished = time.monotonic()
                if answer.status == 200:
                    with self._lock:
                        self._completions.append((finished, finished - started))
                else:
                    self._fail(f"HTTP {answer.status}")
        finally:
            client.close()

    def _fail(self, reason: str) -> None:
        with self._lock:
            self._failures[reason] = self._failures.get(reason, 0) + 1

    def summary(self, start: float, end: float) -> dict[str, Any]:
        """Logins that completed between two `time.monotonic()` instants."""
        with self._lock:
            window = [seconds for finished, seconds in self._completions if start <= finished <= end]
            failures = dict(self._failures)
            total = len(self._completions)
        return {
            "clients": self.clients,
            "window_s": end - start,
            "logins_in_window": len(window),
            "logins_per_s": len(window) / (end - start),
            "login_latency_ms_p50": statistics.median(window) * 1000 if window else None,
            "logins_total": total,
            "failures": failures,
        }
