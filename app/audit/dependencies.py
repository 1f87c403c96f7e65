"""The injected audit service, the listing parameters both audit routes share, and the client of
the request as a login session records it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query, Request

from app.audit.context import current_origin
from app.audit.service import AuditService, event_types
from app.core.identity import ClientInfo
from app.http.services import DbSession

MAX_AUDIT_PAGE = 200
DEFAULT_AUDIT_PAGE = 50


async def get_audit_service(db: DbSession) -> AuditService:
    return AuditService(db=db)


AuditServiceDep = Annotated[AuditService, Depends(get_audit_service)]


@dataclass(frozen=True, slots=True)
class AuditPage:
    limit: int
    cursor: str | None
    types: tuple[str, ...]


def get_audit_page(
    limit: Annotated[int, Query(ge=1, le=MAX_AUDIT_PAGE, description="Events per page")] = DEFAULT_AUDIT_PAGE,
    cursor: Annotated[str | None, Query(max_length=200, description="The `next_cursor` of the previous page")] = None,
    type: Annotated[
        str | None,
        Query(max_length=64, description="An event type (`login.failed`), or a prefix ending in `.` (`login.`)"),
    ] = None,
) -> AuditPage:
    return AuditPage(limit=limit, cursor=cursor or None, types=event_types(type) if type else ())


AuditPageParams = Annotated[AuditPage, Depends(get_audit_page)]


async def get_client_info(request: Request) -> ClientInfo:
    """The client as the audit trail and the rate limits see it: the origin `AuditOrigin` resolved
    for this request through TRUSTED_PROXIES (once per request), so that a login session behind a
    proxy records the client's address, not the proxy's. A peer that is not an IP address is
    recorded as it is."""
    origin = current_origin()
    peer = request.client.host if request.client else None
    return ClientInfo.of(user_agent=origin.user_agent, ip_address=origin.ip_address or peer)


ClientInfoDep = Annotated[ClientInfo, Depends(get_client_info)]
