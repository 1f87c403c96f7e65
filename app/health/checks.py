"""Readiness checks: does each server the service depends on answer, right now?

Each check is bounded by a timeout, so a database or Redis that hangs makes /ready answer "not
ready" quickly instead of holding the probe (and a pool connection) until the orchestrator gives
up.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum

from redis.asyncio import Redis
from sqlalchemy import text

from app.config import Settings
from app.db.engine import Database
from app.ratelimit.limiter import RateLimits

logger = logging.getLogger(__name__)

CHECK_TIMEOUT_SECONDS = 2.0

Probe = Callable[[], Awaitable[object]]


class CheckStatus(StrEnum):
    OK = "ok"
    UNAVAILABLE = "unavailable"


@dataclass(frozen=True, slots=True)
class Readiness:
    checks: dict[str, CheckStatus]

    @property
    def ready(self) -> bool:
        return all(status is CheckStatus.OK for status in self.checks.values())


async def check_readiness(
    *, settings: Settings, database: Database, redis: Redis | None, rate_limits: RateLimits
) -> Readiness:
    probes: dict[str, Probe] = {"database": lambda: _select_one(database)}
    if redis is not None:
        probes["redis"] = redis.ping
    if rate_limits.uses_server and settings.rate_limit_storage_uri != settings.redis_url:
        # A rate-limit store of its own (not the REDIS_URL server already checked above).
        probes["rate_limit_storage"] = lambda: asyncio.to_thread(rate_limits.storage_answers)
    names = list(probes)
    results = await asyncio.gather(*(_run(name, probes[name]) for name in names))
    return Readiness(checks=dict(zip(names, results, strict=True)))


async def _run(name: str, probe: Probe) -> CheckStatus:
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_SECONDS):
            answer = await probe()
    except Exception as error:  # any failure of a dependency means "not ready", never a 500
        logger.warning("readiness: %s does not answer (%s)", name, type(error).__name__)
        return CheckStatus.UNAVAILABLE
    if answer is False:
        logger.warning("readiness: %s does not answer", name)
        return CheckStatus.UNAVAILABLE
    return CheckStatus.OK


async def _select_one(database: Database) -> None:
    async with database.engine.connect() as connection:
        await connection.execute(text("SELECT 1"))
