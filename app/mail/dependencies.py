"""Injected mail services."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends

from app.http.services import DbSession, ServicesDep
from app.mail.errors import MailNotFound
from app.mail.models import OutboxMessage
from app.mail.service import Mailer, MailService


async def get_mail_service(db: DbSession, services: ServicesDep) -> MailService:
    assert isinstance(services.mail, Mailer)  # the outbox `app.main` builds
    return MailService(db=db, mailer=services.mail)


MailServiceDep = Annotated[MailService, Depends(get_mail_service)]


async def queued_mail(mail_id: uuid.UUID, mail: MailServiceDep) -> OutboxMessage:
    """The message named by `{mail_id}` (its route's gate runs first)."""
    message = await mail.get(message_id=mail_id)
    if message is None:
        raise MailNotFound()
    return message


QueuedMail = Annotated[OutboxMessage, Depends(queued_mail)]
