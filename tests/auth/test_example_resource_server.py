"""examples/resource_server as its own process, next to a real Gatehouse process (ES256)."""

from __future__ import annotations

import sys
from pathlib import Path

import httpx
import pytest

from scripts.servers.ports import LOOPBACK, free_port
from scripts.servers.service import ServiceProcess

pytestmark = pytest.mark.processes

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "resource_server"


@pytest.fixture
def resource_server(tmp_path):
    started: list[ServiceProcess] = []

    def start(gatehouse_url: str, introspection_key: str) -> str:
        port = free_port()
        service = ServiceProcess(
            name="resource-server",
            argv=[sys.executable, "-m", "uvicorn", "main:app", "--host", LOOPBACK, "--port", str(port)],
            cwd=EXAMPLE,
            env={
                "PATH": "/usr/bin:/bin",
                "GATEHOUSE_URL": gatehouse_url,
                "GATEHOUSE_INTROSPECTION_KEY": introspection_key,
            },
            port=port,
            log_path=tmp_path / "resource-server.log",
        )
        started.append(service)
        service.start()
        return service.url

    try:
        yield start
    finally:
        for service in started:
            service.stop()


def test_the_example_is_small():
    lines = (EXAMPLE / "main.py").read_text().splitlines()
    assert len(lines) < 100
    assert (EXAMPLE / "requirements.txt").exists() and (EXAMPLE / "README.md").exists()


def test_offline_role_gate_and_live_introspection(live_gatehouse, resource_server):
    gatehouse = live_gatehouse("ES256")
    admin = {"Authorization": f"Bearer {gatehouse.admin_token()}"}
    key = httpx.post(gatehouse.url + "/api-keys", json={"name": "reports service", "role": "admin"}, headers=admin)
    assert key.status_code == 201, key.text
    service = resource_server(gatehouse.url, key.json()["key"])

    gatehouse.register("ada@example.com")
    tokens = gatehouse.login("ada@example.com")
    ada = {"Authorization": f"Bearer {tokens['access_token']}"}

    # Offline: the role in the token decides.
    assert httpx.get(service + "/reports", headers=admin).status_code == 200
    assert httpx.get(service + "/reports", headers=ada).status_code == 403
    assert httpx.get(service + "/reports").status_code == 401
    assert httpx.get(service + "/reports", headers={"Authorization": "Bearer not.a.token"}).status_code == 401
    tampered = tokens["access_token"][:-4] + ("AAAA" if not tokens["access_token"].endswith("AAAA") else "BBBB")
    assert httpx.get(service + "/reports", headers={"Authorization": f"Bearer {tampered}"}).status_code == 401

    # Live: introspection answers the role Gatehouse holds now.
    live = httpx.get(service + "/me/live", headers=ada)
    assert live.status_code == 200, live.text
    assert live.json()["role"] == "user" and live.json()["amr"] == ["pwd"]
    users = httpx.get(gatehouse.url + "/admin/users", params={"q": "ada@"}, headers=admin).json()["items"]
    promoted = httpx.patch(f"{gatehouse.url}/admin/users/{users[0]['id']}", json={"role": "admin"}, headers=admin)
    assert promoted.status_code == 200
    assert httpx.get(service + "/me/live", headers=ada).json()["role"] == "admin"  # at once
    assert httpx.get(service + "/reports", headers=ada).status_code == 403  # this token still says "user"
    newer = gatehouse.login("ada@example.com")["access_token"]
    assert httpx.get(service + "/reports", headers={"Authorization": f"Bearer {newer}"}).status_code == 200

    # A logout ends the old token's session: introspection sees it at once.
    assert httpx.post(gatehouse.url + "/auth/jwt/logout", headers=ada).status_code == 204
    assert httpx.get(service + "/me/live", headers=ada).status_code == 401
