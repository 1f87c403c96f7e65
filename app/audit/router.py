"""`GET /admin/audit-events` (every event, for admins) and `GET /users/me/security-events` (the
caller's own). Read-only: no route edits or deletes an event."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from app.audit.dependencies import AuditPageParams, AuditServiceDep
from app.audit.errors import AuditCursorInvalid, AuditFilterInvalid, AuditTypeUnknown
from app.audit.schemas import AuditEventPage, AuditEventRead
from app.audit.service import AuditFilter, EventPage, ip_filter
from app.core.roles import Permission
from app.http.caller import CurrentCaller
from app.http.rbac import require
from app.http.responses_doc import error_responses

admin_router = APIRouter(prefix="/admin/audit-events", tags=["admin"], dependencies=[require(Permission.AUDIT_READ)])
me_router = APIRouter(prefix="/users/me/security-events", tags=["users"])

ERRORS = error_responses(AuditCursorInvalid, AuditTypeUnknown, AuditFilterInvalid)


def _page(found: EventPage) -> AuditEventPage:
    return AuditEventPage(items=[AuditEventRead.of(event) for event in found.events], next_cursor=found.next_cursor)


@admin_router.get("", response_model=AuditEventPage, responses=ERRORS)
async def list_audit_events(
    audit: AuditServiceDep,
    page: AuditPageParams,
    actor_id: Annotated[uuid.UUID | None, Query(description="The acting account or API key")] = None,
    target_user_id: Annotated[uuid.UUID | None, Query(description="The account acted on")] = None,
    ip_address: Annotated[str | None, Query(max_length=64, description="The client's address")] = None,
    since: Annotated[datetime | None, Query(description="Events at or after this time (UTC if no zone)")] = None,
    until: Annotated[datetime | None, Query(description="Events before this time (UTC if no zone)")] = None,
) -> AuditEventPage:
    """Every event, newest first, filtered; follow `next_cursor` for older ones. A bad cursor ->
    400 AUDIT_CURSOR_INVALID; an unknown type -> 400 AUDIT_TYPE_UNKNOWN; an address that is none
    -> 400 AUDIT_FILTER_INVALID."""
    filters = AuditFilter(
        types=page.types,
        actor_id=actor_id,
        target_user_id=target_user_id,
        ip_address=ip_filter(ip_address) if ip_address else None,
        since=since,
        until=until,
    )
    return _page(await audit.page(filters=filters, limit=page.limit, cursor=page.cursor))


@me_router.get("", response_model=AuditEventPage, responses=ERRORS)
async def list_my_security_events(
    caller: CurrentCaller, audit: AuditServiceDep, page: AuditPageParams
) -> AuditEventPage:
    """Your recent account activity: the events you caused and those done to your account (logins,
    failed logins, password and email changes, keys, sessions), newest first, in pages."""
    filters = AuditFilter(types=page.types, involving=caller.id)
    return _page(await audit.page(filters=filters, limit=page.limit, cursor=page.cursor))
