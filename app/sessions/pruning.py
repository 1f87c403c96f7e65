"""Deleting sessions and refresh tokens that can no longer be used, so the tables stay bounded,
and audit events past AUDIT_RETENTION_DAYS.

A refresh token is deleted a day after it expires; a session a day after it expired or was
revoked (its refresh tokens go with it, by the foreign key's cascade). The day's margin keeps
recently ended sessions for inspection; nothing deleted could still authenticate anyway, since
an unknown refresh token is refused and an access token of a deleted session is refused too.

Each worker runs the pruning at start-up and then every `PRUNE_INTERVAL`. The deletes are
idempotent, so workers running them at the same time only repeat each other's work.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any

from sqlalchemy import delete, or_

from app.audit.service import prune_events
from app.core.tasks import cancel_and_wait
from app.db.base import utcnow
from app.db.engine import Database
from app.sessions.models import AuthSession, RefreshToken

logger = logging.getLogger(__name__)

RETENTION = timedelta(days=1)
PRUNE_INTERVAL = timedelta(minutes=10)
AUDIT_RETENTION = timedelta(days=365)


@dataclass(frozen=True, slots=True)
class Pruned:
    sessions: int
    refresh_tokens: int
    audit_events: int = 0


async def prune_expired(
    database: Database, *, now: datetime | None = None, audit_retention: timedelta = AUDIT_RETENTION
) -> Pruned:
    now = now or utcnow()
    cutoff = now - RETENTION
    async with database.sessionmaker() as db:
        sessions: Any = await db.execute(
            delete(AuthSession).where(or_(AuthSession.expires_at < cutoff, AuthSession.revoked_at < cutoff))
        )
        tokens: Any = await db.execute(delete(RefreshToken).where(RefreshToken.expires_at < cutoff))
        await db.commit()
    events = await prune_events(database, retention=audit_retention, now=now)
    return Pruned(sessions=sessions.rowcount, refresh_tokens=tokens.rowcount, audit_events=events)


class SessionPruner:
    """Runs `prune_expired` once on entry, then in the background until exit."""

    def __init__(
        self, database: Database, *, interval: timedelta = PRUNE_INTERVAL, audit_retention: timedelta = AUDIT_RETENTION
    ) -> None:
        self.database = database
        self.interval = interval
        self.audit_retention = audit_retention
        self._task: asyncio.Task[None] | None = None

    async def run_once(self) -> None:
        try:
            pruned = await prune_expired(self.database, audit_retention=self.audit_retention)
        except Exception:  # a busy database must not stop the service; the next round retries
            logger.exception("pruning expired sessions failed")
            return
        if pruned.sessions or pruned.refresh_tokens or pruned.audit_events:
            logger.info(
                "pruned %d sessions, %d refresh tokens and %d audit events",
                pruned.sessions,
                pruned.refresh_tokens,
                pruned.audit_events,
            )

    async def _run_forever(self) -> None:
        while True:
            await asyncio.sleep(self.interval.total_seconds())
            await self.run_once()

    async def __aenter__(self) -> SessionPruner:
        await self.run_once()
        self._task = asyncio.create_task(self._run_forever(), name="session-pruner")
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await cancel_and_wait(self._task)
