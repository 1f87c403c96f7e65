"""Setting the scene through the public API (accounts to act on), so that each browser test
clicks through only what it tests."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from tests.console.browser import Service

PASSWORD = "a-long-enough-password"


@contextmanager
def admin_client(service: Service) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=service.url, timeout=30) as client:
        login = client.post(
            "/auth/jwt/login", data={"username": service.admin_email, "password": service.admin_password}
        )
        assert login.status_code == 200, login.text
        client.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
        yield client


def new_email(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}@example.com"


def create_user(service: Service, *, role: str = "user", verified: bool = True, prefix: str = "someone") -> str:
    """A new account's email (its password is PASSWORD)."""
    email = new_email(prefix)
    with admin_client(service) as client:
        answer = client.post(
            "/admin/users", json={"email": email, "password": PASSWORD, "role": role, "is_verified": verified}
        )
        assert answer.status_code == 201, answer.text
    return email


def user_id(service: Service, email: str) -> str:
    with admin_client(service) as client:
        found = client.get("/admin/users", params={"q": email}).json()["items"]
    assert len(found) == 1, found
    return str(found[0]["id"])


def serves(service: Service, method: str, path: str) -> bool:
    paths = httpx.get(service.url + "/openapi.json", timeout=30).json()["paths"]
    return method.lower() in paths.get(path, {})


def needs_route(service: Service, method: str, path: str) -> None:
    """Skip, saying so, when this build does not serve the route a page shows (the audit log
    comes with its own API)."""
    if not serves(service, method, path):
        pytest.skip(f"this build does not serve {method} {path}")
