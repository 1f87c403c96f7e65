"""What admins see of a queued message: never its body."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict

from app.core.notifications import MailKind
from app.core.pagination import Page
from app.mail.models import MailStatus


class MailRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: MailKind
    recipient: str
    status: MailStatus
    attempts: int
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None
    next_attempt_at: datetime


class MailPage(Page[MailRead]):
    pass
