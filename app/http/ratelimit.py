"""The dependency that applies the registered rate limit of whichever route it guards."""

from __future__ import annotations

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from app.core.metrics import RATE_LIMITED
from app.http.metrics import route_template
from app.http.services import get_services
from app.ratelimit.errors import RateLimited
from app.ratelimit.middleware import remember_headers


async def enforce_rate_limit(request: Request) -> None:
    """Count the request against its route's limit; 429 once the client is over it.

    Put it on a router (`APIRouter(dependencies=[Depends(enforce_rate_limit)])`): routes without a
    registered limit pass through untouched. It runs before the route's own dependencies, so a
    refused request costs no database work and no password hashing.
    """
    route_name = getattr(request.scope.get("route"), "name", None)
    if route_name is not None:
        await count_against(route_name, request)


async def count_against(route_name: str, request: Request) -> None:
    """Count the request in the per-client bucket of the route registered as `route_name` (429
    once over it), whatever route it arrived at: `POST /auth/token` counts its password grants in
    the login's bucket."""
    rate_limits = get_services(request).rate_limits
    if not rate_limits.limits(route_name):
        return
    outcome = await run_in_threadpool(rate_limits.hit, route_name, request)
    remember_headers(request, outcome.headers)
    if not outcome.allowed:
        RATE_LIMITED.labels(route=route_template(request.scope)).inc()
        raise RateLimited(headers={"Retry-After": str(outcome.retry_after)})
