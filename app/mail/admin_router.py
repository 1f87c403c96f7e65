"""`/admin/mail`: the outbox, for those who manage mail (admins). Bodies are never shown."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from app.core.roles import Permission
from app.http.pagination import PageParams
from app.http.rbac import require
from app.mail.dependencies import MailServiceDep, QueuedMail
from app.mail.models import MailStatus
from app.mail.schemas import MailPage, MailRead

router = APIRouter(prefix="/admin/mail", tags=["admin"], dependencies=[require(Permission.MAIL_MANAGE)])


@router.get("", response_model=MailPage)
async def list_mail(
    mail: MailServiceDep,
    page: PageParams,
    status: Annotated[MailStatus | None, Query(description="Only messages in this state")] = None,
) -> MailPage:
    """Queued, sent and failed messages, newest first."""
    found, total = await mail.list(limit=page.limit, offset=page.offset, status=status)
    return MailPage(
        items=[MailRead.model_validate(row) for row in found], total=total, limit=page.limit, offset=page.offset
    )


@router.post("/{mail_id}/retry", status_code=status.HTTP_202_ACCEPTED)
async def retry_mail(message: QueuedMail, mail: MailServiceDep) -> None:
    """Send a pending or failed message now (a failed one gets `MAIL_MAX_ATTEMPTS` attempts anew).
    A sent message -> 409 `MAIL_ALREADY_SENT`; an unknown id -> 404 `MAIL_NOT_FOUND`."""
    await mail.retry(message_id=message.id)
