"""A small HTTP client for setting up accounts, and for the login load (login_load.py).

The standard library's `http.client` keeps one connection alive per client, needs nothing beyond
the service's own dependencies, and is plenty for a few requests and for login loops whose cost
is the server's password hashing.
"""

from __future__ import annotations

import http.client
import json
import urllib.parse
from dataclasses import dataclass
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
