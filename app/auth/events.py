"""Auth events: the durable record that something a worker may have cached has changed.

Workers cache who a user is (role, active flag), whether a session is live and what an API key
allows (`app.auth.state`). Whenever one of those changes, an `auth_events` row is written in the
same transaction as the change, so the record exists exactly when the change does. Every worker
reads new rows (each poll interval, or at once when Redis signals a change) and forgets what it
cached about their subjects.

Changes to `User` rows are recorded automatically by a flush hook, whichever code path made them
(fastapi-users' adapter included). Bulk `UPDATE` statements bypass the ORM's change tracking, so
code that revokes sessions or keys that way calls `record_auth_events` itself.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from fastapi_users_db_sqlalchemy.generics import GUID
from sqlalchemy import BigInteger, Integer, String, event, inspect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, Session, mapped_column

from app.db.base import Base, UTCDateTime, utcnow
from app.users.models import User

# Changing any of these changes what a cached user snapshot says, or ends the user's sessions.
USER_AUTH_FIELDS = ("role", "is_active", "is_superuser", "is_verified", "email", "hashed_password")
PENDING = "gatehouse.auth_events"


class EventKind(StrEnum):
    USER = "user"  # the user's snapshot (and therefore every credential of theirs) is stale
    SESSION = "session"  # one session was ended
    USER_SESSIONS = "user_sessions"  # several sessions of the user were ended
    API_KEY = "api_key"  # one API key was revoked


@dataclass(frozen=True, slots=True)
class AuthChange:
    kind: EventKind
    subject: uuid.UUID


class AuthEvent(Base):
    __tablename__ = "auth_events"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    subject: Mapped[uuid.UUID] = mapped_column(GUID, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False, index=True)


def record_auth_events(db: AsyncSession, changes: Iterable[AuthChange]) -> None:
    """Record changes made with bulk statements, in the caller's transaction."""
    _stage(db.sync_session, changes)


def _stage(session: Session, changes: Iterable[AuthChange]) -> None:
    changes = list(changes)
    if not changes:
        return
    session.info.setdefault(PENDING, []).extend(changes)
    session.add_all(AuthEvent(kind=change.kind.value, subject=change.subject) for change in changes)


def _user_changes(session: Session) -> list[AuthChange]:
    changes = []
    for user in session.dirty:
        if isinstance(user, User) and any(
            inspect(user).attrs[field].history.has_changes() for field in USER_AUTH_FIELDS
        ):
            changes.append(AuthChange(EventKind.USER, user.id))
    changes.extend(AuthChange(EventKind.USER, user.id) for user in session.deleted if isinstance(user, User))
    return changes


@event.listens_for(Session, "before_flush")
def _record_user_changes(session: Session, _context: Any, _instances: Any) -> None:
    _stage(session, _user_changes(session))


@event.listens_for(Session, "after_commit")
def _announce(session: Session) -> None:
    changes: list[AuthChange] = session.info.pop(PENDING, [])
    if changes and _listener is not None:
        _listener(session, changes)


@event.listens_for(Session, "after_soft_rollback")
def _discard(session: Session, _previous_transaction: Any) -> None:
    session.info.pop(PENDING, None)


_listener: Callable[[Session, list[AuthChange]], None] | None = None


def on_commit(listener: Callable[[Session, list[AuthChange]], None]) -> None:
    """Install the one function told about committed changes (`app.auth.state` does)."""
    global _listener
    _listener = listener
