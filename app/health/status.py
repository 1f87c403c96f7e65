"""`GET /admin/status`: what an operator's status page shows, for admins.

Readiness of each server the service depends on (the checks of `/ready`), the version of the
service, and how many accounts each role has, active or not (from the running totals in
`user_counts`, so it costs the same with a million accounts).
"""

from __future__ import annotations

from importlib import metadata

from fastapi import APIRouter
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from app.core.roles import Permission, Role
from app.health.checks import CheckStatus, check_readiness
from app.http.rbac import require
from app.http.services import DbSession, ServicesDep
from app.users.models import UserCount


def service_version() -> str:
    try:
        return metadata.version("gatehouse")
    except metadata.PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"


class RoleCount(BaseModel):
    active: int
    inactive: int


class StatusOut(BaseModel):
    status: str = Field(description='"ready" when every check is "ok", else "unavailable"')
    version: str
    checks: dict[str, CheckStatus] = Field(
        description='"database" always; "redis" when REDIS_URL is set; "rate_limit_storage" when that is a '
        "server of its own"
    )
    users: dict[Role, RoleCount] | None = Field(
        description="Accounts per role; null while the database does not answer"
    )
    users_total: int | None


router = APIRouter(prefix="/admin/status", tags=["admin"], dependencies=[require(Permission.USERS_MANAGE)])


@router.get("", response_model=StatusOut)
async def admin_status(services: ServicesDep, db: DbSession) -> StatusOut:
    """200 whatever the checks say (this page reports an outage; `/ready` is the probe)."""
    readiness = await check_readiness(
        settings=services.settings,
        database=services.database,
        redis=services.auth.redis,
        rate_limits=services.rate_limits,
    )
    users: dict[Role, RoleCount] | None = None
    if readiness.checks["database"] is CheckStatus.OK:
        try:
            rows = (await db.execute(select(UserCount.role, UserCount.is_active, UserCount.count))).tuples().all()
        except (SQLAlchemyError, OSError):  # went away since the check: the page still answers
            rows = None
        if rows is not None:
            users = {role: RoleCount(active=0, inactive=0) for role in Role}
            for role, is_active, count in rows:
                if is_active:
                    users[role].active += count
                else:
                    users[role].inactive += count
    return StatusOut(
        status="ready" if readiness.ready else "unavailable",
        version=service_version(),
        checks=dict(readiness.checks),
        users=users,
        users_total=None if users is None else sum(c.active + c.inactive for c in users.values()),
    )
