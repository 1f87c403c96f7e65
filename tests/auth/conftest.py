"""A real Gatehouse process (`python -m app`) for the tests of clients written by others."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from scripts.servers.gatehouse import Instance, gatehouse, stop_instances
from scripts.servers.ports import free_port
from tests.backends import Databases
from tests.factories import DEFAULT_PASSWORD, TEST_SECRET

ADMIN_EMAIL = "admin@example.com"
ADMIN_PASSWORD = "an-admin-password-for-tests"


@dataclass
class LiveGatehouse:
    url: str
    instance: Instance

    def metadata(self) -> dict:
        response = httpx.get(self.url + "/.well-known/oauth-authorization-server")
        response.raise_for_status()
        body: dict = response.json()
        return body

    def register(self, email: str, password: str = DEFAULT_PASSWORD) -> None:
        response = httpx.post(self.url + "/auth/register", json={"email": email, "password": password})
        assert response.status_code == 201, response.text

    def login(self, email: str, password: str = DEFAULT_PASSWORD) -> dict:
        response = httpx.post(
            self.url + "/auth/token", data={"grant_type": "password", "username": email, "password": password}
        )
        assert response.status_code == 200, response.text
        body: dict = response.json()
        return body

    def admin_token(self) -> str:
        return str(self.login(ADMIN_EMAIL, ADMIN_PASSWORD)["access_token"])


def signing_key_file(directory: Path, algorithm: str) -> Path:
    """A fresh PEM private key for RS256 or ES256, mode 0600."""
    key = rsa.generate_private_key(65537, 2048) if algorithm == "RS256" else ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    path = directory / f"jwt-{algorithm.lower()}.pem"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    return path


@pytest.fixture
def live_gatehouse(tmp_path: Path, databases: Databases) -> Iterator[Callable[..., LiveGatehouse]]:
    """`live_gatehouse(ACCESS_TOKEN_TTL_SECONDS="10", ...)`: one Gatehouse process on a port of its
    own, PUBLIC_URL set to where it listens (so the issuer is its URL), a first admin, its own
    empty database; every call starts another one."""
    started: list[Instance] = []
    with contextlib.ExitStack() as stack:

        def start(algorithm: str = "HS256", **settings: str) -> LiveGatehouse:
            workdir = tmp_path / f"gatehouse-{len(started)}"
            workdir.mkdir()
            database_url = stack.enter_context(databases.fresh(workdir, name="live.db", empty=True))
            port = free_port()
            env = {
                "PATH": "/usr/bin:/bin",
                "DATABASE_URL": database_url,
                "SECRET_KEY": TEST_SECRET,
                "PASSWORD_BCRYPT_ROUNDS": "4",
                "PUBLIC_URL": f"http://127.0.0.1:{port}",
                "FIRST_ADMIN_EMAIL": ADMIN_EMAIL,
                "FIRST_ADMIN_PASSWORD": ADMIN_PASSWORD,
                "LOGIN_RATE_LIMIT": "1000/minute",
                "JWT_ALGORITHM": algorithm,
                **settings,
            }
            if algorithm != "HS256":
                env["JWT_PRIVATE_KEY_FILE"] = str(signing_key_file(workdir, algorithm))
            instance = gatehouse(workdir, env, port=port)
            started.append(instance)
            instance.start()
            return LiveGatehouse(url=instance.url, instance=instance)

        try:
            yield start
        finally:
            stop_instances(started)
