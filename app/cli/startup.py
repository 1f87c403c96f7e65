"""What start-up checks before the service serves, for `serve`, `migrate` and `check-config`.

Each check is the service's own code (the signing keys, the rate-limit storage, the database
connection with its retries), run before uvicorn starts any worker, so that a refusal is told
once, in one line, with exit status 2 rather than as a worker's traceback.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from redis.asyncio import Redis

from app.config import ConfigurationError, Environment, Settings, masked_url
from app.core.signing_keys import SigningKeys
from app.db.engine import create_database
from app.db.reachable import database_address, wait_until_reachable
from app.ratelimit.limiter import check_storage

REDIS_CHECK_SECONDS = 2.0


@dataclass
class Findings:
    """What the checks found: refusals (the service would not start) and warnings (it would)."""

    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    facts: list[str] = field(default_factory=list)


async def check_startup(settings: Settings, *, database: bool = True) -> Findings:
    """Run every check; with `database=False`, neither the database nor Redis is contacted."""
    findings = Findings()
    _refusal(findings, lambda: _signing(settings, findings))
    _refusal(findings, lambda: check_storage(settings))
    if database:
        await _async_refusal(findings, lambda: _database(settings, findings))
        if settings.redis_url:
            await _redis(settings, findings)
    if settings.environment is Environment.PRODUCTION and settings.is_sqlite:
        findings.warnings.append(production_on_sqlite(settings))
    if settings.environment is Environment.PRODUCTION and settings.public_url is None:
        findings.warnings.append(PRODUCTION_WITHOUT_PUBLIC_URL)
    return findings


# Production still starts (nothing is unsafe), but the defaults it then uses are development's.
PRODUCTION_WITHOUT_PUBLIC_URL = (
    "PUBLIC_URL is not set: the mail links point at http://localhost:8000, the OAuth metadata takes each "
    "request's Host, and the token issuer is 'gatehouse'; set PUBLIC_URL=https://auth.example.com (where "
    "clients reach the service)"
)


def production_on_sqlite(settings: Settings) -> str:
    return (
        f"ENVIRONMENT=production on SQLite (DATABASE_URL={masked_url(settings.database_url)}): PostgreSQL is "
        "the production database (postgresql+asyncpg://user:password@host:5432/gatehouse); SQLite suits "
        "a single node only"
    )


def _refusal(findings: Findings, check: Callable[[], None]) -> None:
    try:
        check()
    except ConfigurationError as error:
        findings.problems.append(str(error))


async def _async_refusal(findings: Findings, check: Callable[[], Awaitable[None]]) -> None:
    try:
        await check()
    except ConfigurationError as error:
        findings.problems.append(str(error))


def _signing(settings: Settings, findings: Findings) -> None:
    keys = SigningKeys.from_settings(settings)
    if keys.kid is None:
        findings.facts.append("signing: HS256, with a key derived from SECRET_KEY")
    else:
        findings.facts.append(
            f"signing: {keys.algorithm}, key {keys.kid} from {settings.jwt_private_key_file}; "
            f"{len(keys.verification_keys)} key(s) published"
        )


async def _database(settings: Settings, findings: Findings) -> None:
    database = create_database(settings)
    try:
        await wait_until_reachable(database, settings)
        findings.facts.append(f"database: {database.engine.dialect.name} at {database_address(database)} answers")
    finally:
        await database.dispose()


async def _redis(settings: Settings, findings: Findings) -> None:
    url = settings.redis_url or ""
    redis = Redis.from_url(url, socket_timeout=REDIS_CHECK_SECONDS, socket_connect_timeout=REDIS_CHECK_SECONDS)
    try:
        async with asyncio.timeout(REDIS_CHECK_SECONDS * 2):
            await redis.ping()
    except Exception as error:  # any failure: the service runs degraded, it does not refuse to start
        findings.warnings.append(
            f"REDIS_URL={masked_url(url)}: Redis does not answer ({type(error).__name__}); the service starts "
            "without it (rate limits count per worker, other workers learn of auth changes by polling) and "
            "/ready answers 503 until it does"
        )
    else:
        findings.facts.append(f"redis: {masked_url(url)} answers")
    finally:
        await redis.aclose()
