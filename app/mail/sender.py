"""The background sender: claims due messages, sends them with no database connection held, and
records the outcome.

Every worker runs one. A claim is an UPDATE that sets a lease on pending, due, unleased rows and
re-checks those conditions, so of two senders only one gets a row; on PostgreSQL the candidate rows
are selected `FOR UPDATE SKIP LOCKED`, so senders take different rows instead of waiting on each
other. The claim commits before the message is sent. A sent message is marked `sent` and its body
erased; a failure schedules the next attempt with exponential backoff (30 s, 1 min, 2 min, ... at
most 6 h) until `MAIL_MAX_ATTEMPTS` attempts in all, then the message is `failed`. A sender that
dies between sending and marking sent leaves the lease to expire: that message is sent once more.

The sender wakes as soon as this worker commits a message (`wake`), and otherwise looks every
`MAIL_POLL_SECONDS` for messages other workers committed or whose next attempt is due.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from types import TracebackType

from sqlalchemy import and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.recorder import record_event
from app.audit.types import SYSTEM, EventType
from app.config import Settings
from app.core.tasks import cancel_and_wait
from app.db.base import utcnow
from app.db.engine import Database
from app.mail.backends import MailBackend
from app.mail.crypto import BodyCipher, UndecipherableBody
from app.mail.models import MailStatus, OutboxMessage
from app.users.models import columns as user_columns

logger = logging.getLogger(__name__)

FIRST_RETRY = timedelta(seconds=30)
MAX_RETRY_DELAY = timedelta(hours=6)
BATCH_SIZE = 20
ERROR_LENGTH = 500


def retry_delay(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failed attempt: 30 s, then doubling, at most 6 h."""
    delay: timedelta = FIRST_RETRY * (2 ** min(attempts - 1, 20))
    return min(delay, MAX_RETRY_DELAY)


@dataclass(frozen=True, slots=True)
class Claimed:
    id: uuid.UUID
    kind: str
    recipient: str
    body: bytes | None
    attempts: int
    lease_until: datetime


class MailSender:
    def __init__(
        self,
        *,
        settings: Settings,
        database: Database,
        backend: MailBackend,
        cipher: BodyCipher,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.database = database
        self.backend = backend
        self.cipher = cipher
        self.clock = clock
        self.sender_address = settings.mail_from
        self.max_attempts = settings.mail_max_attempts
        self.poll_seconds = settings.mail_poll_seconds
        # Long enough for a slow server to answer every step of one delivery.
        self.lease = timedelta(seconds=max(60.0, 4 * settings.smtp_timeout_seconds))
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()  # one delivery round at a time in this worker
        self._task: asyncio.Task[None] | None = None
        self.wakes = 0  # how often a commit in this worker queued mail (tests wait on it)

    def wake(self) -> None:
        self.wakes += 1
        self._wake.set()

    async def deliver_due(self) -> int:
        """Send every message due now (including those that fail again); how many were sent."""
        sent = 0
        async with self._lock:
            while claimed := await self._claim():
                for message in claimed:
                    sent += await self._deliver(message)
                if len(claimed) < BATCH_SIZE:
                    break
        return sent

    async def _claim(self) -> list[Claimed]:
        now = self.clock()
        lease_until = now + self.lease
        claimable = and_(
            OutboxMessage.status == MailStatus.PENDING,
            OutboxMessage.next_attempt_at <= now,
            or_(OutboxMessage.lease_until.is_(None), OutboxMessage.lease_until < now),
        )
        async with self.database.sessionmaker() as db:
            candidates = select(OutboxMessage.id).where(claimable).order_by(OutboxMessage.next_attempt_at)
            candidates = candidates.limit(BATCH_SIZE)
            if db.get_bind().dialect.name == "postgresql":
                candidates = candidates.with_for_update(skip_locked=True)
            ids = list(await db.scalars(candidates))
            if not ids:
                return []
            rows = await db.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(ids), claimable)  # re-checked: another sender may have won
                .values(lease_until=lease_until, attempts=OutboxMessage.attempts + 1)
                .returning(
                    OutboxMessage.id,
                    OutboxMessage.kind,
                    OutboxMessage.recipient,
                    OutboxMessage.body,
                    OutboxMessage.attempts,
                )
                .execution_options(synchronize_session=False)
            )
            claimed = [
                Claimed(id, str(kind), recipient, body, attempts, lease_until)
                for id, kind, recipient, body, attempts in rows
            ]
            await db.commit()
        return claimed

    async def _deliver(self, claimed: Claimed) -> int:
        try:
            if claimed.body is None:
                raise UndecipherableBody()
            message = self._message(claimed.recipient, self.cipher.open(claimed.body))
        except UndecipherableBody:
            await self._record_failure(claimed, "the body cannot be decrypted (SECRET_KEY changed?)", final=True)
            return 0
        try:
            await self.backend.send(message)  # no database connection is held while this runs
        except Exception as error:
            await self._record_failure(claimed, f"{type(error).__name__}: {error}", final=False)
            return 0
        await self._finish(claimed, status=MailStatus.SENT, sent_at=self.clock(), body=None, last_error=None)
        return 1

    def _message(self, recipient: str, parts: dict[str, str]) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self.sender_address
        message["To"] = recipient
        message["Subject"] = parts["subject"]
        message["Date"] = format_datetime(self.clock())
        message["Message-ID"] = make_msgid(domain=self.sender_address.rpartition("@")[2].strip("> ") or None)
        message["Auto-Submitted"] = "auto-generated"
        message.set_content(parts["text"])
        message.add_alternative(parts["html"], subtype="html")
        return message

    async def _record_failure(self, claimed: Claimed, error: str, *, final: bool) -> None:
        error = error[:ERROR_LENGTH]
        if final or claimed.attempts >= self.max_attempts:
            logger.error("mail id=%s failed after %d attempts: %s", claimed.id, claimed.attempts, error)
            await self._finish(claimed, status=MailStatus.FAILED, last_error=error, record=self._failed(claimed))
        else:
            next_attempt_at = self.clock() + retry_delay(claimed.attempts)
            logger.warning(
                "mail id=%s attempt %d failed, next at %s: %s", claimed.id, claimed.attempts, next_attempt_at, error
            )
            await self._finish(claimed, status=MailStatus.PENDING, last_error=error, next_attempt_at=next_attempt_at)

    async def _finish(
        self, claimed: Claimed, *, record: Callable[[AsyncSession], Awaitable[None]] | None = None, **values: object
    ) -> None:
        """Record the outcome, if the claim is still ours (a lease that ran out may have been taken);
        `record` adds the outcome's audit event to the same transaction."""
        async with self.database.sessionmaker() as db:
            result = await db.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == claimed.id, OutboxMessage.lease_until == claimed.lease_until)
                .values(lease_until=None, **values)
                .execution_options(synchronize_session=False)
            )
            ours = result.rowcount == 1  # type: ignore[attr-defined]
            if ours and record is not None:
                await record(db)
            await db.commit()
        if not ours:
            logger.warning("mail id=%s: its lease ran out before the outcome was recorded", claimed.id)

    @staticmethod
    def _failed(claimed: Claimed) -> Callable[[AsyncSession], Awaitable[None]]:
        """`mail.failed`, by `system`, for the account the message was addressed to (if any)."""

        async def record(db: AsyncSession) -> None:
            user_id = await db.scalar(select(user_columns.id).where(user_columns.email == claimed.recipient.lower()))
            details = {"message_id": claimed.id, "kind": claimed.kind, "attempts": claimed.attempts}
            record_event(db, EventType.MAIL_FAILED, actor=SYSTEM, target_user_id=user_id, details=details)

        return record

    # --- the background task ---------------------------------------------------------------------
    async def _run_forever(self) -> None:
        while True:
            try:
                await self.deliver_due()
            except Exception:  # a database outage must not end the sender; the next round retries
                logger.exception("mail delivery round failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.poll_seconds)
            self._wake.clear()

    async def __aenter__(self) -> MailSender:
        self._task = asyncio.create_task(self._run_forever(), name="mail-sender")
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await cancel_and_wait(self._task)
        self._task = None
