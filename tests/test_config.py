"""Settings: production refuses unsafe secrets; development runs with none; .env.example is complete."""

from __future__ import annotations

import re
import stat
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager

from app import config
from app.config import ConfigurationError, Environment, Settings
from app.main import create_app
from tests.factories import DEFAULT_PASSWORD

ENV_EXAMPLE = Path(__file__).resolve().parents[1] / ".env.example"
STRONG_SECRET = "Zq3" + "k9Vb-" * 10
SETTING_LINE = re.compile(r"^([A-Z][A-Z0-9_]*)=(.*)$")
# A setting left commented out, with the form it would take (SECRET_KEY).
COMMENTED_SETTING_LINE = re.compile(r"^#\s*([A-Z][A-Z0-9_]*)=(.*)$")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings read the environment; keep the caller's from leaking into these tests."""
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)


def example_settings(*, commented: bool = False) -> dict[str, str]:
    """The settings `.env.example` sets; with `commented`, also those it shows commented out."""
    values = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        match = SETTING_LINE.match(line.strip()) or (commented and COMMENTED_SETTING_LINE.match(line.strip()))
        if match:
            values[match.group(1)] = match.group(2)
    return values


def production(**values: object) -> Settings:
    values.setdefault("mail_backend", "smtp")  # production has no default (tests/mail/test_settings.py)
    return Settings(_env_file=None, environment="production", **values)  # type: ignore[call-arg]


# --- production secrets -------------------------------------------------------------------------


def test_production_refuses_a_missing_secret_key():
    with pytest.raises(ConfigurationError, match="SECRET_KEY"):
        production()


def test_production_refuses_an_empty_secret_key():
    with pytest.raises(ConfigurationError, match="SECRET_KEY"):
        production(secret_key="")


def test_production_refuses_a_short_secret_key():
    with pytest.raises(ConfigurationError, match="SECRET_KEY") as refused:
        production(secret_key="x" * 31)

    assert "32" in str(refused.value)


def test_production_refuses_the_secret_key_from_env_example():
    example = example_settings(commented=True)["SECRET_KEY"]
    assert example

    with pytest.raises(ConfigurationError, match="SECRET_KEY"):
        production(secret_key=example)


@pytest.mark.parametrize("secret", sorted(config.EXAMPLE_SECRETS))
def test_development_refuses_every_example_secret_saying_how_to_generate_one(secret):
    with pytest.raises(ConfigurationError, match="SECRET_KEY") as refused:
        Settings(_env_file=None, secret_key=secret)  # type: ignore[call-arg]

    assert "secrets.token_urlsafe(48)" in str(refused.value)


def test_env_example_leaves_the_secret_key_commented_out():
    assert "SECRET_KEY" not in example_settings()
    assert "SECRET_KEY" in example_settings(commented=True)


@pytest.mark.parametrize("secret", ["change-me" + "x" * 30, "CHANGE-ME-TO-A-LONG-RANDOM-STRING"])
def test_production_refuses_variants_of_the_example_secret(secret):
    with pytest.raises(ConfigurationError, match="SECRET_KEY"):
        production(secret_key=secret)


def test_production_refusal_message_never_contains_the_secret():
    secret = "short-but-secret"

    with pytest.raises(ConfigurationError) as refused:
        production(secret_key=secret)

    assert secret not in str(refused.value)


def test_production_accepts_a_long_random_secret_key():
    settings = production(secret_key=STRONG_SECRET)

    assert settings.environment is Environment.PRODUCTION
    assert settings.signing_secret() == STRONG_SECRET


def test_production_is_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("ENVIRONMENT", "production")

    with pytest.raises(ConfigurationError, match="SECRET_KEY"):
        Settings(_env_file=None)  # type: ignore[call-arg]


def test_secret_key_is_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("ENVIRONMENT", "production")
    monkeypatch.setenv("SECRET_KEY", STRONG_SECRET)
    monkeypatch.setenv("MAIL_BACKEND", "smtp")

    assert Settings(_env_file=None).signing_secret() == STRONG_SECRET  # type: ignore[call-arg]


def test_secret_key_is_not_shown_in_the_settings_repr():
    settings = production(secret_key=STRONG_SECRET)

    assert STRONG_SECRET not in repr(settings)


# --- development ---------------------------------------------------------------------------------


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    directory = tmp_path / "data"
    monkeypatch.setattr(config, "DATA_DIR", directory)
    config._development_secret.cache_clear()
    yield directory
    config._development_secret.cache_clear()


def test_development_needs_no_secret_key():
    settings = Settings(_env_file=None)  # type: ignore[call-arg]

    assert settings.environment is Environment.DEVELOPMENT
    assert settings.secret_key is None


def test_development_generates_a_secret_once_and_keeps_it_private(data_dir):
    first = Settings(_env_file=None).signing_secret()  # type: ignore[call-arg]
    config._development_secret.cache_clear()  # as a second worker or a restart would
    second = Settings(_env_file=None).signing_secret()  # type: ignore[call-arg]

    assert first == second
    assert len(first) >= 32
    secret_file = data_dir / ".secret_key"
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600


async def test_development_service_starts_and_logs_in_without_a_secret_key(data_dir, database_url):
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        database_url=database_url,
        password_bcrypt_rounds=4,
        first_admin_email="root@example.com",
        first_admin_password=DEFAULT_PASSWORD,
    )
    application = create_app(settings)

    async with LifespanManager(application, startup_timeout=60, shutdown_timeout=60):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            login = await client.post(
                "/auth/jwt/login", data={"username": "root@example.com", "password": DEFAULT_PASSWORD}
            )
            me = await client.get("/users/me", headers={"Authorization": f"Bearer {login.json()['access_token']}"})

    assert login.status_code == 200
    assert me.status_code == 200


def test_default_database_is_a_sqlite_file_under_data():
    settings = Settings(_env_file=None)  # type: ignore[call-arg]

    assert settings.database_url.startswith("sqlite+aiosqlite:///")
    assert "/data/" in settings.database_url


def test_access_token_ttl_is_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("ACCESS_TOKEN_TTL_SECONDS", "120")

    assert Settings(_env_file=None).access_token_ttl_seconds == 120  # type: ignore[call-arg]


# --- .env.example -------------------------------------------------------------------------------


def test_env_example_lists_every_setting():
    expected = {name.upper() for name in Settings.model_fields}

    assert set(example_settings(commented=True)) == expected


def test_env_example_has_a_comment_for_every_setting():
    lines = [line.strip() for line in ENV_EXAMPLE.read_text().splitlines()]
    for index, line in enumerate(lines):
        if not SETTING_LINE.match(line):
            continue
        previous = index - 1
        while previous >= 0 and SETTING_LINE.match(lines[previous]):
            previous -= 1  # settings grouped under one comment share it
        assert previous >= 0 and lines[previous].startswith("#"), f"no comment above {line.split('=')[0]}"


def test_env_example_is_a_valid_development_configuration():
    settings = Settings(_env_file=ENV_EXAMPLE)  # type: ignore[call-arg]

    assert settings.environment is Environment.DEVELOPMENT


def test_rate_limits_count_in_memory_without_redis():
    assert Settings(_env_file=None).rate_limit_storage_uri == "memory://"


def test_rate_limits_count_in_redis_url_when_it_is_set(monkeypatch):
    monkeypatch.setenv("REDIS_URL", "redis://cache.internal:6379/2")

    assert Settings(_env_file=None).rate_limit_storage_uri == "redis://cache.internal:6379/2"


def test_an_explicit_rate_limit_storage_wins_over_redis_url(monkeypatch):
    monkeypatch.setenv("REDIS_URL", "redis://cache.internal:6379/2")
    monkeypatch.setenv("RATE_LIMIT_STORAGE_URI", "memory://")

    assert Settings(_env_file=None).rate_limit_storage_uri == "memory://"


def test_a_blank_rate_limit_storage_follows_redis_url(monkeypatch):
    monkeypatch.setenv("REDIS_URL", "redis://cache.internal:6379/2")
    monkeypatch.setenv("RATE_LIMIT_STORAGE_URI", "  ")

    assert Settings(_env_file=None).rate_limit_storage_uri == "redis://cache.internal:6379/2"


def test_database_pool_settings_reach_the_engine(monkeypatch):
    from app.db.engine import create_database

    settings = Settings(
        _env_file=None,
        database_url="postgresql+asyncpg://gatehouse@127.0.0.1:5432/gatehouse",
        database_pool_size=7,
        database_max_overflow=3,
        database_pool_timeout_seconds=4,
    )
    pool = create_database(settings).engine.pool

    assert (pool.size(), pool._max_overflow, pool._timeout) == (7, 3, 4)


@pytest.mark.parametrize(
    "url",
    [
        "mysql+aiomysql://gatehouse@127.0.0.1/gatehouse",
        "postgresql://gatehouse@127.0.0.1/gatehouse",  # the synchronous driver
        "sqlite:///./data/gatehouse.db",
        "not a url",
    ],
)
def test_unsupported_database_urls_are_refused_with_the_supported_forms(url):
    with pytest.raises(ValueError, match=r"sqlite\+aiosqlite:///.* or postgresql\+asyncpg://"):
        Settings(_env_file=None, database_url=url)


@pytest.mark.parametrize(
    "url", ["sqlite+aiosqlite:///./data/gatehouse.db", "postgresql+asyncpg://gatehouse:pw@db.internal:5432/gatehouse"]
)
def test_supported_database_urls_are_accepted(url):
    assert Settings(_env_file=None, database_url=url).database_url == url


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        (
            "postgresql+asyncpg://gatehouse:s3cret@db:5432/gatehouse",
            "postgresql+asyncpg://gatehouse:***@db:5432/gatehouse",
        ),
        ("postgresql+asyncpg://gatehouse:p@ss@db/gatehouse", "postgresql+asyncpg://gatehouse:***@db/gatehouse"),
        ("redis://:s3cret@cache:6379/0", "redis://:***@cache:6379/0"),
        ("redis://cache:6379/0", "redis://cache:6379/0"),
    ],
)
def test_masked_url_hides_the_password_and_nothing_else(url, masked):
    assert config.masked_url(url) == masked
