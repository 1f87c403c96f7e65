"""The outbox (`Mailer`, what the domains enqueue into) and the admin view of it (`MailService`)."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime

from sqlalchemy import case, event, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from app.config import Environment, Settings
from app.core.notifications import MailKind
from app.core.secrets import KeyRing
from app.db.base import utcnow
from app.db.engine import Database
from app.mail.backends import ConsoleBackend, MailBackend, backend_from_settings
from app.mail.crypto import BodyCipher
from app.mail.errors import MailAlreadySent, MailNotFound
from app.mail.models import MailStatus, OutboxMessage
from app.mail.sender import MailSender
from app.mail.templates import Composer

logger = logging.getLogger(__name__)


class Mailer:
    """The worker's outbox: renders and encrypts a message into the caller's transaction, and
    runs the background sender (`async with mailer:`)."""

    def __init__(
        self,
        *,
        settings: Settings,
        database: Database,
        keys: KeyRing,
        backend: MailBackend | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.settings = settings
        self.composer = Composer(settings)
        self.cipher = BodyCipher(keys)
        self.backend = backend or backend_from_settings(settings)
        self.clock = clock
        self.database = database
        self.sender = MailSender(
            settings=settings, database=database, backend=self.backend, cipher=self.cipher, clock=clock
        )
        self._detached: set[asyncio.Task[None]] = set()

    def enqueue(
        self,
        db: AsyncSession,
        *,
        kind: MailKind,
        to: str,
        token: str | None = None,
        details: Mapping[str, str] | None = None,
    ) -> None:
        rendered = self.composer.render(kind, to=to, token=token, details=details)
        now = self.clock()
        db.add(
            OutboxMessage(
                kind=kind,
                recipient=to,
                status=MailStatus.PENDING,
                attempts=0,
                body=self.cipher.seal(rendered.parts()),
                created_at=now,
                next_attempt_at=now,
            )
        )
        self.wake_after_commit(db)

    def enqueue_soon(
        self,
        *,
        kind: MailKind,
        to: str,
        token: str | None = None,
        details: Mapping[str, str] | None = None,
        also: Callable[[AsyncSession], None] | None = None,
    ) -> None:
        # The task runs in a copy of the request's context: what `also` records keeps its client.
        task = asyncio.create_task(self._enqueue_alone(kind=kind, to=to, token=token, details=details, also=also))
        self._detached.add(task)
        task.add_done_callback(self._detached.discard)

    async def _enqueue_alone(
        self,
        *,
        kind: MailKind,
        to: str,
        token: str | None,
        details: Mapping[str, str] | None,
        also: Callable[[AsyncSession], None] | None,
    ) -> None:
        try:
            async with self.database.sessionmaker() as db:
                self.enqueue(db, kind=kind, to=to, token=token, details=details)
                if also is not None:
                    also(db)
                await db.commit()
        except Exception:
            logger.exception("queueing a %s message failed", kind.value)

    @property
    def queueing(self) -> bool:
        """Whether messages of `enqueue_soon` are still being written."""
        return bool(self._detached)

    async def _settle(self) -> None:
        if self._detached:
            await asyncio.gather(*self._detached, return_exceptions=True)

    def wake_after_commit(self, db: AsyncSession) -> None:
        sync_session: Session = db.sync_session
        if not event.contains(sync_session, "after_commit", self._wake):
            event.listen(sync_session, "after_commit", self._wake, once=True)

    def _wake(self, session: Session) -> None:
        self.sender.wake()

    async def deliver_due(self) -> int:
        """Send what is due now, in this task (tests, and anyone who cannot wait for the poll)."""
        await self._settle()
        return await self.sender.deliver_due()

    async def __aenter__(self) -> Mailer:
        if self.settings.environment is Environment.PRODUCTION and isinstance(self.backend, ConsoleBackend):
            logger.warning("MAIL_BACKEND=console in production: mail is written to the log, not sent")
        await self.sender.__aenter__()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self._settle()  # a message being written is committed before the worker stops
        await self.sender.__aexit__(None, None, None)


class MailService:
    """What admins see of the outbox (never a body) and the retry of a message."""

    def __init__(self, *, db: AsyncSession, mailer: Mailer) -> None:
        self.db = db
        self.mailer = mailer

    async def list(
        self, *, limit: int, offset: int, status: MailStatus | None = None
    ) -> tuple[Sequence[OutboxMessage], int]:
        conditions = [OutboxMessage.status == status] if status is not None else []
        total = int(await self.db.scalar(select(func.count()).select_from(OutboxMessage).where(*conditions)) or 0)
        page = (
            select(OutboxMessage)
            .where(*conditions)
            .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id)
            .limit(limit)
            .offset(offset)
        )
        return (await self.db.scalars(page)).all(), total

    async def get(self, *, message_id: uuid.UUID) -> OutboxMessage | None:
        return await self.db.get(OutboxMessage, message_id)

    async def retry(self, *, message_id: uuid.UUID) -> None:
        """A pending or failed message becomes due now; a failed one gets its attempts anew."""
        result = await self.db.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id, OutboxMessage.status.in_([MailStatus.PENDING, MailStatus.FAILED]))
            .values(
                status=MailStatus.PENDING,
                next_attempt_at=self.mailer.clock(),
                attempts=case((OutboxMessage.status == MailStatus.FAILED, 0), else_=OutboxMessage.attempts),
            )
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            found = await self.db.scalar(select(OutboxMessage.status).where(OutboxMessage.id == message_id))
            await self.db.rollback()
            raise MailNotFound() if found is None else MailAlreadySent()
        self.mailer.wake_after_commit(self.db)
        await self.db.commit()
