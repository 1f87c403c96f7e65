"""Two Gatehouse instances sharing one PostgreSQL database and one Redis, per test module.

Each module says what the instances are told beyond the database and Redis by overriding
`cluster_settings`. REDIS_URL is the only Redis setting they get: everything that must be shared
(rate-limit counts, revocation signals) is expected to follow it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import httpx
import pytest

from scripts.servers.databases import create_database, drop_database
from scripts.servers.gatehouse import Instance, start_instances, stop_instances
from scripts.servers.redis_server import flush_redis
from tests.scaleout.instances import ADMIN_EMAIL, ADMIN_PASSWORD, service_environment


@dataclass
class Cluster:
    a: Instance
    b: Instance
    database_url: str

    @property
    def instances(self) -> list[Instance]:
        return [self.a, self.b]

    def login(self, instance: Instance, email: str, password: str) -> str:
        answer = httpx.post(
            f"{instance.url}/auth/jwt/login", data={"username": email, "password": password}, timeout=30
        )
        assert answer.status_code == 200, answer.text
        token: str = answer.json()["access_token"]
        return token

    def admin_token(self, instance: Instance) -> str:
        return self.login(instance, ADMIN_EMAIL, ADMIN_PASSWORD)


@pytest.fixture(scope="module")
def cluster_settings() -> dict[str, str]:
    """Settings for both instances; override in a module. Limits are generous by default: the
    tests log in and register many times from one address."""
    return {"LOGIN_RATE_LIMIT": "10000/minute", "REGISTER_RATE_LIMIT": "10000/minute"}


@pytest.fixture(scope="module")
async def cluster_database(postgres_server_url: str) -> AsyncIterator[str]:
    url = await create_database(postgres_server_url)
    yield url
    await drop_database(url, server_url=postgres_server_url)


@pytest.fixture(scope="module")
def cluster(
    cluster_database: str,
    redis_server_url: str,
    cluster_settings: dict[str, str],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Cluster]:
    flush_redis(redis_server_url)
    env = service_environment(cluster_database, REDIS_URL=redis_server_url, **cluster_settings)
    instances = start_instances(2, workdir=tmp_path_factory.mktemp("cluster"), env=env)
    try:
        yield Cluster(a=instances[0], b=instances[1], database_url=cluster_database)
    finally:
        stop_instances(instances)
