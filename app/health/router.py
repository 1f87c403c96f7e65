"""GET /health (liveness) and GET /ready (readiness); neither needs credentials.

/health answers as long as the process serves requests, so an orchestrator restarts the
process only when it is truly stuck. /ready also asks the database and Redis, so a load balancer
sends no traffic to an instance that cannot serve it, without restarting it for an outage that
is not its own.
"""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from app.health.checks import CheckStatus, check_readiness
from app.health.schemas import ReadinessOut
from app.http.responses import no_store
from app.http.services import ServicesDep

router = APIRouter(tags=["health"])


@router.get("/health")
async def health() -> dict[str, str]:
    """Liveness: the process answers. Needs no credentials."""
    return {"status": "ok"}


@router.get(
    "/ready",
    response_model=ReadinessOut,
    responses={status.HTTP_503_SERVICE_UNAVAILABLE: {"model": ReadinessOut, "description": "A dependency is down"}},
)
async def ready(services: ServicesDep, response: Response) -> ReadinessOut:
    """Readiness: the database (and Redis, when configured) answer. 503 names the one that does
    not. Needs no credentials."""
    readiness = await check_readiness(
        settings=services.settings,
        database=services.database,
        redis=services.auth.redis,
        rate_limits=services.rate_limits,
    )
    no_store(response)
    if not readiness.ready:
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    return ReadinessOut(
        status="ready" if readiness.ready else "unavailable",
        checks={name: CheckStatus(value) for name, value in readiness.checks.items()},
    )
