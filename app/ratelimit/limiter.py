"""Per-route, per-client limits, counted by slowapi.

Each limited route is registered by name (the route's `name`, e.g. fastapi-users'
`auth:jwt.login`) with a limit in slowapi's syntax. The routes themselves are not touched: a
dependency (`app.http.ratelimit.enforce_rate_limit`) asks `RateLimits.hit` about the
route that matched, so routes owned by a library are limited without copying them.

slowapi drives the storage synchronously (a Redis round trip when RATE_LIMIT_STORAGE_URI is
redis://), so `hit` must run in a worker thread, never on the event loop.

Storage: `memory://` counts per worker process; `redis://...` shares the counts between every
worker and instance. When Redis cannot be reached, counting falls back to per-worker memory (and
goes back to Redis once it answers again), so logins keep working and stay limited.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from limits.errors import ConfigurationError as StorageConfigurationError
from slowapi import Limiter
from slowapi.errors import RateLimitExceeded
from starlette.requests import Request

from app.config import ConfigurationError, Settings, masked_url
from app.ratelimit.client import ClientAddress

logger = logging.getLogger(__name__)

KEY_PREFIX = "gatehouse"
# Moving window: never more than N requests in any period of the limit's length. A fixed window
# lets a client send 2N in a short burst across the window boundary.
STRATEGY = "moving-window"
# A Redis that does not answer must not hold a login for long; after a timeout the in-memory
# fallback takes over.
REDIS_TIMEOUT_SECONDS = 2.0


@dataclass(frozen=True, slots=True)
class LimitOutcome:
    allowed: bool
    headers: dict[str, str]
    retry_after: int | None = None


class RateLimits:
    def __init__(
        self,
        settings: Settings,
        *,
        routes: Mapping[str, str],
        on_refused: Mapping[str, Callable[[], None]] | None = None,
    ) -> None:
        self.storage_uri = settings.rate_limit_storage_uri
        self._on_refused = dict(on_refused or {})
        self.limiter = _limiter(settings)
        self._checks = {name: self._register(name, limit) for name, limit in routes.items()}
        if (warning := per_worker_counting(settings)) is not None:
            logger.warning("%s", warning)

    @property
    def uses_server(self) -> bool:
        """The counts live in a server (Redis), not in this process."""
        return not self.storage_uri.startswith("memory://")

    def storage_answers(self) -> bool:
        """Whether the counters' storage answers now. Blocking: call it from a thread."""
        return bool(self.limiter._storage.check())

    def reset(self) -> None:
        """Forget every count (blocking with Redis: call it from a thread)."""
        self.limiter.reset()

    def limits(self, route_name: str | None) -> bool:
        return route_name in self._checks

    def hit(self, route_name: str, request: Request) -> LimitOutcome:
        """Count this request against the route's limit. Blocking: call it from a thread."""
        try:
            self._checks[route_name](request=request)
        except RateLimitExceeded:
            if (count_refusal := self._on_refused.get(route_name)) is not None:
                count_refusal()
            window = self._window(request)
            retry_after = max(1, math.ceil(window.reset_at - time.time())) if window else 1
            return LimitOutcome(allowed=False, headers=window.headers if window else {}, retry_after=retry_after)
        window = self._window(request)
        return LimitOutcome(allowed=True, headers=window.headers if window else {})

    def _register(self, route_name: str, limit: str) -> Callable[..., Any]:
        def check(request: Request) -> None:
            return None

        # slowapi files limits under the function's qualified name: one name per route.
        check.__name__ = check.__qualname__ = f"limit[{route_name}]"
        # A shared limit with the route name as scope: the counter's key is the client and the
        # route name, the same on every instance whatever the mount path.
        limited: Callable[..., Any] = self.limiter.shared_limit(limit, scope=route_name)(check)
        return limited

    def _window(self, request: Request) -> _Window | None:
        """The state of the limit slowapi just applied (the tightest, or the one exceeded)."""
        applied = getattr(request.state, "view_rate_limit", None)
        if applied is None:
            return None
        item, identifiers = applied
        try:
            reset_at, remaining = self.limiter.limiter.get_window_stats(item, *identifiers)
        except Exception:  # the storage failed between the count and now: no headers, still an answer
            logger.warning("rate limit storage did not answer; response sent without X-RateLimit headers")
            return None
        return _Window(limit=item.amount, remaining=max(0, remaining), reset_at=reset_at)


@dataclass(frozen=True, slots=True)
class _Window:
    limit: int
    remaining: int
    reset_at: float  # Unix time when the next request is allowed again

    @property
    def headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(math.ceil(self.reset_at)),
        }


def per_worker_counting(settings: Settings) -> str | None:
    """The warning for several workers counting in memory, each on its own; None when not so."""
    uri = settings.rate_limit_storage_uri
    if not uri.startswith("memory://") or settings.web_concurrency < 2:
        return None
    workers = settings.web_concurrency
    return (
        f"RATE_LIMIT_STORAGE_URI is {uri} with {workers} workers (WEB_CONCURRENCY or --workers): every worker "
        f"counts on its own, so a client gets up to {workers} times each rate limit. Set "
        "REDIS_URL=redis://host:6379/0 (or RATE_LIMIT_STORAGE_URI) to share the counts."
    )


def check_storage(settings: Settings) -> None:
    """Refuse, as start-up would, a rate-limit storage the limiter cannot use."""
    _limiter(settings)


def _limiter(settings: Settings) -> Limiter:
    uri = settings.rate_limit_storage_uri
    try:
        return Limiter(
            key_func=ClientAddress(settings.trusted_proxies),
            strategy=STRATEGY,
            storage_uri=uri,
            storage_options=_storage_options(uri),
            key_prefix=KEY_PREFIX,
            in_memory_fallback_enabled=True,
            # Headers are written by RateLimitHeadersMiddleware, on every answer of the route
            # (fastapi-users builds the login response itself, errors never reach the endpoint's
            # Response).
            headers_enabled=False,
        )
    except StorageConfigurationError as error:
        # RATE_LIMIT_STORAGE_URI follows REDIS_URL unless it is set: name the one the operator wrote.
        setting = "REDIS_URL" if uri == settings.redis_url else "RATE_LIMIT_STORAGE_URI"
        raise ConfigurationError(f"{setting}={masked_url(uri)!r} is refused: {error}") from error


def _storage_options(uri: str) -> dict[str, Any]:
    if uri.startswith(("redis://", "rediss://", "redis+unix://")):
        return {"socket_timeout": REDIS_TIMEOUT_SECONDS, "socket_connect_timeout": REDIS_TIMEOUT_SECONDS}
    return {}
