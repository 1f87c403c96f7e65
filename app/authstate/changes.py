"""Auth changes: the durable record that something a worker may have cached has changed.

Workers cache who a user is (role, active flag), whether a session is live and what an API key
allows (`app.authstate.state`). Whenever one of those changes, an `auth_events` row is written in
the same transaction as the change, so the record exists exactly when the change does. Every
worker reads new rows (each poll interval, or at once when Redis signals a change) and forgets
what it cached about their subjects.

Changes to the columns of a tracked model (`track_changes`, which the users domain calls for its
account table) are recorded automatically by a flush hook, whichever code path made them
(fastapi-users' adapter included). Bulk `UPDATE` statements bypass the ORM's change tracking, so
code that revokes sessions or keys that way calls `record_auth_events` itself.

The hooks are installed on the application's own session class (`app.db.engine.AppSyncSession`).
Subscribers (`subscribe`) hear of each commit's changes on the engine they subscribed to.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import BigInteger, Integer, String, event, inspect
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import Mapped, Session, mapped_column

from app.db.base import Base, UTCDateTime, utcnow
from app.db.engine import AppSyncSession
from app.db.fastapi_users_db import GUID

PENDING = "gatehouse.auth_events"


class ChangeKind(StrEnum):
    USER = "user"  # the user's snapshot (and therefore every credential of theirs) is stale
    SESSION = "session"  # one session was ended
    USER_SESSIONS = "user_sessions"  # several sessions of the user were ended
    API_KEY = "api_key"  # one API key was revoked


@dataclass(frozen=True, slots=True)
class AuthChange:
    kind: ChangeKind
    subject: uuid.UUID


class AuthEvent(Base):
    __tablename__ = "auth_events"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    subject: Mapped[uuid.UUID] = mapped_column(GUID, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False, index=True)


Subscriber = Callable[[list[AuthChange]], None]

# Model class -> the attributes whose change makes the row's cached copy stale.
_tracked: dict[type[Any], frozenset[str]] = {}
_subscribers: WeakKeyDictionary[Engine, list[Subscriber]] = WeakKeyDictionary()


def track_changes(model: type[Any], *, fields: Collection[str]) -> None:
    """Record a `USER` change whenever a row of `model` is deleted or one of `fields` changes."""
    _tracked[model] = frozenset(fields)


def subscribe(engine: AsyncEngine, subscriber: Subscriber) -> Callable[[], None]:
    """Tell `subscriber` the changes of every commit made on `engine`; returns the unsubscribe."""
    subscribers = _subscribers.setdefault(engine.sync_engine, [])
    subscribers.append(subscriber)
    return lambda: subscribers.remove(subscriber)


def record_auth_events(db: AsyncSession, changes: Iterable[AuthChange]) -> None:
    """Record changes made with bulk statements, in the caller's transaction."""
    _stage(db.sync_session, changes)


def _stage(db: Session, changes: Iterable[AuthChange]) -> None:
    changes = list(changes)
    if not changes:
        return
    db.info.setdefault(PENDING, []).extend(changes)
    db.add_all(AuthEvent(kind=change.kind.value, subject=change.subject) for change in changes)


def _row_changes(db: Session) -> list[AuthChange]:
    changes = []
    for row in db.dirty:
        fields = _tracked.get(type(row))
        if fields and any(inspect(row).attrs[field].history.has_changes() for field in fields):
            changes.append(AuthChange(ChangeKind.USER, row.id))
    changes.extend(AuthChange(ChangeKind.USER, row.id) for row in db.deleted if type(row) in _tracked)
    return changes


@event.listens_for(AppSyncSession, "before_flush")
def _record_row_changes(db: Session, _context: Any, _instances: Any) -> None:
    _stage(db, _row_changes(db))


@event.listens_for(AppSyncSession, "after_commit")
def _announce(db: Session) -> None:
    changes: list[AuthChange] = db.info.pop(PENDING, [])
    if not changes:
        return
    bind = db.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    for subscriber in list(_subscribers.get(engine, ())):
        subscriber(changes)


@event.listens_for(AppSyncSession, "after_soft_rollback")
def _discard(db: Session, _previous_transaction: Any) -> None:
    db.info.pop(PENDING, None)
