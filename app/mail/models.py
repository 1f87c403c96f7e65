"""The mail outbox: one row per message, written in the transaction of the change that causes it.

`body` holds the rendered message encrypted (`app.mail.crypto`); it is erased once the message is
sent. `lease_until` is a claim: a sender sets it before sending, and no other sender takes the row
until it has passed (a sender that crashed mid-send gives the message back that way).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Enum, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from app.core.notifications import MailKind
from app.db.base import Base, UTCDateTime, utcnow
from app.db.fastapi_users_db import GUID


class MailStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


def _enum(kind: type[StrEnum], name: str, length: int) -> Enum:
    return Enum(
        kind,
        name=name,
        native_enum=False,
        length=length,
        validate_strings=True,
        values_callable=lambda members: [member.value for member in members],
    )


class OutboxMessage(Base):
    __tablename__ = "mail_outbox"
    # The sender's query: due pending messages, oldest due first.
    __table_args__ = (Index("ix_mail_outbox_status_next_attempt_at", "status", "next_attempt_at"),)

    id: Mapped[uuid.UUID] = mapped_column(GUID, primary_key=True, default=uuid.uuid4)
    kind: Mapped[MailKind] = mapped_column(_enum(MailKind, "mail_kind", 32), nullable=False)
    recipient: Mapped[str] = mapped_column(String(320), nullable=False)
    status: Mapped[MailStatus] = mapped_column(
        _enum(MailStatus, "mail_status", 16), nullable=False, default=MailStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    last_error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    body: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False, index=True)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
