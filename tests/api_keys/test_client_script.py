"""scripts/api_key_client.py against a real server: uvicorn in a subprocess, the script in another."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.backends import Databases
from tests.factories import TEST_SECRET

pytestmark = pytest.mark.processes

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "api_key_client.py"
ADMIN_EMAIL = "script-admin@example.com"
ADMIN_PASSWORD = "a-long-enough-password"
START_UP_LIMIT_SECONDS = 120  # a loaded 2-core machine starts Python slowly


@dataclass
class Server:
    url: str
    token: str

    def create_key(self, **fields: object) -> dict[str, str]:
        response = httpx.post(
            f"{self.url}/api-keys",
            json={"name": "script", **fields},
            headers={"Authorization": f"Bearer {self.token}"},
        )
        assert response.status_code == 201, response.text
        body: dict[str, str] = response.json()
        return body


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, databases: Databases) -> Iterator[Server]:
    workdir = tmp_path_factory.mktemp("server")
    with databases.fresh(workdir, name="gatehouse.db", empty=True) as database_url:
        yield from _serve(workdir, database_url)


def _serve(workdir: Path, database_url: str) -> Iterator[Server]:
    port = _free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": database_url,
        "SECRET_KEY": TEST_SECRET,
        "PASSWORD_BCRYPT_ROUNDS": "4",
        "FIRST_ADMIN_EMAIL": ADMIN_EMAIL,
        "FIRST_ADMIN_PASSWORD": ADMIN_PASSWORD,
    }
    command = [sys.executable, "-m", "uvicorn", "app.main:app", "--host", "127.0.0.1", "--port", str(port)]
    process = subprocess.Popen(command, cwd=workdir, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_UP_LIMIT_SECONDS
        while True:
            if process.poll() is not None:
                output = process.stdout.read().decode() if process.stdout else ""
                pytest.fail(f"the server exited at start-up:\n{output}")
            try:
                if httpx.get(f"{url}/health").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"the server did not answer within {START_UP_LIMIT_SECONDS}s")
            time.sleep(0.1)
        login = httpx.post(f"{url}/auth/jwt/login", data={"username": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
        assert login.status_code == 200, login.text
        yield Server(url=url, token=login.json()["access_token"])
    finally:
        process.terminate()
        process.wait(timeout=10)


def run_script(*args: str, key: str | None, url: str) -> subprocess.CompletedProcess[str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith("GATEHOUSE_")}
    env["GATEHOUSE_URL"] = url
    if key is not None:
        env["GATEHOUSE_API_KEY"] = key
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )


def test_script_reads_the_key_from_the_environment_and_calls_the_api(server):
    key = server.create_key()["key"]
    result = run_script(key=key, url=server.url)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["email"] == ADMIN_EMAIL
    assert key not in result.stdout + result.stderr


def test_script_sends_a_json_body(server):
    key = server.create_key()["key"]
    result = run_script("POST", "/items", '{"title": "made by a script"}', key=key, url=server.url)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["title"] == "made by a script"


def test_script_reports_a_refused_key_without_printing_it(server):
    created = server.create_key()
    revoked = httpx.delete(
        f"{server.url}/api-keys/{created['id']}", headers={"Authorization": f"Bearer {server.token}"}
    )
    assert revoked.status_code == 204
    result = run_script(key=created["key"], url=server.url)
    assert result.returncode == 1
    assert "HTTP 401" in result.stderr
    assert "API_KEY_REVOKED" in result.stderr
    assert created["key"] not in result.stdout + result.stderr


def test_script_without_a_key_explains_what_to_set(server):
    result = run_script(key=None, url=server.url)
    assert result.returncode == 2
    assert "GATEHOUSE_API_KEY" in result.stderr


def test_script_refuses_a_url_that_is_not_http(server):
    result = run_script(key="gatehouse_x", url="file:///etc")
    assert result.returncode == 2
    assert "GATEHOUSE_URL" in result.stderr
