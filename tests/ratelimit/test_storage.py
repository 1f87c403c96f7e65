"""Where the counts live, and what the service says about it at start-up."""

import logging
import socket

import pytest
from asgi_lifespan import LifespanManager
from pydantic import ValidationError

from app.config import ConfigurationError, Settings
from app.main import create_app

WRONG_LOGIN = {"username": "nobody@example.com", "password": "not-the-password"}
PER_WORKER_WARNING = "every worker counts on its own"


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # nothing listens once the probe is closed


class TestWhenRedisIsUnreachable:
    @pytest.fixture
    def settings_overrides(self):
        return {"login_rate_limit": "5/minute", "rate_limit_storage_uri": f"redis://127.0.0.1:{closed_port()}/0"}

    async def test_logins_are_still_answered_and_limited(self, client):
        for remaining in (4, 3, 2, 1, 0):
            response = await client.post("/auth/jwt/login", data=WRONG_LOGIN)
            assert response.status_code == 400
            assert response.headers["X-RateLimit-Remaining"] == str(remaining)
        assert (await client.post("/auth/jwt/login", data=WRONG_LOGIN)).status_code == 429


def app_settings(settings: Settings, **changes: object) -> Settings:
    return settings.model_copy(update=changes)


async def test_several_workers_with_memory_storage_get_a_warning(settings, caplog):
    per_worker = app_settings(settings, web_concurrency=4, rate_limit_storage_uri="memory://")
    with caplog.at_level(logging.WARNING, logger="app"):
        async with LifespanManager(create_app(per_worker), startup_timeout=60, shutdown_timeout=60):
            pass
    assert PER_WORKER_WARNING in caplog.text
    assert "4 workers" in caplog.text


async def test_one_worker_with_memory_storage_gets_no_warning(settings, caplog):
    per_worker = app_settings(settings, web_concurrency=1, rate_limit_storage_uri="memory://")
    with caplog.at_level(logging.WARNING, logger="app"):
        async with LifespanManager(create_app(per_worker), startup_timeout=60, shutdown_timeout=60):
            pass
    assert PER_WORKER_WARNING not in caplog.text


async def test_several_workers_with_redis_storage_get_no_warning(settings, caplog):
    shared = app_settings(settings, web_concurrency=4, rate_limit_storage_uri="redis://127.0.0.1:6379/0")
    with caplog.at_level(logging.WARNING, logger="app"):
        async with LifespanManager(create_app(shared), startup_timeout=60, shutdown_timeout=60):
            pass
    assert PER_WORKER_WARNING not in caplog.text


async def test_an_unknown_storage_scheme_stops_the_start_with_the_setting_named(settings):
    with pytest.raises(ConfigurationError, match="RATE_LIMIT_STORAGE_URI"):
        async with LifespanManager(
            create_app(app_settings(settings, rate_limit_storage_uri="carrier-pigeon://x")),
            startup_timeout=60,
            shutdown_timeout=60,
        ):
            pass


@pytest.mark.parametrize("value", ["five per minute", "5/fortnight", "0/minute", ""])
def test_a_limit_that_is_not_a_rate_limit_is_refused(value):
    with pytest.raises(ValidationError, match="login_rate_limit"):
        Settings(_env_file=None, login_rate_limit=value)


def test_trusted_proxies_are_read_as_a_comma_separated_list():
    settings = Settings(_env_file=None, trusted_proxies="10.0.0.0/8, 192.168.1.7")
    assert [str(network) for network in settings.trusted_proxies] == ["10.0.0.0/8", "192.168.1.7/32"]


def test_a_trusted_proxy_that_is_not_an_address_is_refused():
    with pytest.raises(ValidationError, match="trusted_proxies"):
        Settings(_env_file=None, trusted_proxies="10.0.0.0/8, proxy.internal")
