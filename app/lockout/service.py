"""Count consecutive failed password logins per email and lock the email's password login.

* After LOGIN_MAX_FAILURES consecutive failures the email is locked for
  LOGIN_LOCKOUT_BASE_SECONDS; each further failure (once the lock is over) doubles the lock, up to
  LOGIN_LOCKOUT_MAX_SECONDS. A successful login, a password reset or an admin's unlock clears the
  streak.
* Attempts while locked are refused without being counted: the lock does not grow while nobody
  can try a password anyway.
* The state lives in the database, shared by every worker and instance, and is written only
  when a login fails or a streak is cleared. Increments are a single upsert, so concurrent
  failures from several workers are all counted.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, delete, exists, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.recorder import record_event
from app.audit.types import ANONYMOUS, Actor, EventType
from app.config import Settings, UnsupportedDatabase
from app.core.emails import normalise_email
from app.core.secrets import KeyedHasher
from app.db.base import utcnow
from app.lockout.models import LoginLockout

# 2**MAX_DOUBLINGS times the base is beyond any sensible cap; it keeps the arithmetic small when
# the failure count runs high.
MAX_DOUBLINGS = 32


@dataclass(frozen=True, slots=True)
class LockoutState:
    failed_count: int = 0
    locked_until: datetime | None = None

    def is_locked(self, now: datetime) -> bool:
        return self.locked_until is not None and self.locked_until > now

    def retry_after(self, now: datetime) -> int:
        """Whole seconds until the lock ends (at least 1 while locked)."""
        if self.locked_until is None:
            return 0
        return max(1, math.ceil((self.locked_until - now).total_seconds()))

    def current_lock(self, now: datetime) -> datetime | None:
        return self.locked_until if self.is_locked(now) else None


def lock_seconds(failed_count: int, *, settings: Settings) -> int | None:
    """How long a streak of `failed_count` failures locks the login, or None below the threshold."""
    if failed_count < settings.login_max_failures:
        return None
    doublings = min(failed_count - settings.login_max_failures, MAX_DOUBLINGS)
    seconds: int = settings.login_lockout_base_seconds * 2**doublings
    return min(settings.login_lockout_max_seconds, seconds)


class LockoutService:
    def __init__(self, *, db: AsyncSession, settings: Settings, hasher: KeyedHasher) -> None:
        self.db = db
        self.settings = settings
        self._hasher = hasher  # SecretPurpose.LOGIN_LOCKOUT: the table never holds an email

    def key_for(self, email: str) -> str:
        return self._hasher.digest(normalise_email(email))

    def audit_subject(self, *, email: str, user_id: uuid.UUID | None) -> tuple[Actor, dict[str, str]]:
        """Who a login attempt is attributed to: the account, or `anonymous` with the keyed hash of
        an email that has no account (never the email itself: it may be a mistyped password)."""
        if user_id is not None:
            return Actor.user(user_id), {}
        return ANONYMOUS, {"email_hash": self.key_for(email)}

    async def state(self, *, email: str) -> LockoutState:
        row = await self.db.get(LoginLockout, self.key_for(email), populate_existing=True)
        return _state_of(row)

    async def states(self, *, emails: Iterable[str]) -> dict[str, LockoutState]:
        """The state of each email (emails without failures get an empty state)."""
        keys = {email: self.key_for(email) for email in emails}
        rows = {}
        if keys:
            found = await self.db.scalars(select(LoginLockout).where(LoginLockout.key.in_(set(keys.values()))))
            rows = {row.key: row for row in found}
        return {email: _state_of(rows.get(key)) for email, key in keys.items()}

    async def record_failure(self, *, email: str, user_id: uuid.UUID | None = None) -> LockoutState:
        """Count one failed login; lock when the streak reaches the threshold (`login.locked`, for
        the account `user_id` or the email without one). Commits, with whatever the caller added.

        `user_id` is the account that has this email now (None for none): the row names it, so
        that the admin list can find the accounts that are locked."""
        key = self.key_for(email)
        now = utcnow()
        insert = self._insert().values(key=key, failed_count=1, last_failed_at=now, user_id=user_id)
        upsert = insert.on_conflict_do_update(
            index_elements=[LoginLockout.key],
            set_={"failed_count": LoginLockout.failed_count + 1, "last_failed_at": now, "user_id": user_id},
        ).returning(LoginLockout.failed_count, LoginLockout.locked_until)
        failed_count, locked_until = (await self.db.execute(upsert)).one()
        # The upsert holds the row (PostgreSQL) or the database (SQLite) until the commit, so
        # the lock below is decided on the count this transaction wrote.
        seconds = lock_seconds(failed_count, settings=self.settings)
        if seconds is not None:
            until = now + timedelta(seconds=seconds)
            if locked_until is None or locked_until < until:
                starts = locked_until is None or locked_until <= now  # not the extension of a running lock
                await self.db.execute(update(LoginLockout).where(LoginLockout.key == key).values(locked_until=until))
                locked_until = until
                if starts:
                    actor, details = self.audit_subject(email=email, user_id=user_id)
                    locked = {**details, "failed_count": failed_count, "locked_until": until, "seconds": seconds}
                    record_event(self.db, EventType.LOGIN_LOCKED, actor=actor, target_user_id=user_id, details=locked)
        await self.db.commit()
        return LockoutState(failed_count=failed_count, locked_until=locked_until)

    async def clear(self, *, email: str) -> None:
        """Forget the streak and any lock. Commits."""
        await self.db.execute(delete(LoginLockout).where(LoginLockout.key == self.key_for(email)))
        await self.db.commit()

    async def unlock(self, *, email: str, user_id: uuid.UUID, actor: Actor) -> None:
        """An admin's unlock (`user.unlocked`, with the streak it cleared). Commits."""
        result: Any = await self.db.execute(
            delete(LoginLockout)
            .where(LoginLockout.key == self.key_for(email))
            .returning(LoginLockout.failed_count, LoginLockout.locked_until)
        )
        cleared = _state_of_values(result.first())
        details = {"failed_count": cleared.failed_count, "was_locked": cleared.is_locked(utcnow())}
        record_event(self.db, EventType.USER_UNLOCKED, actor=actor, target_user_id=user_id, details=details)
        await self.db.commit()

    def _insert(self) -> Any:
        dialect = self.db.get_bind().dialect.name
        if dialect == "postgresql":
            return postgresql.insert(LoginLockout)
        if dialect == "sqlite":
            return sqlite.insert(LoginLockout)
        raise UnsupportedDatabase(dialect)


def _state_of_values(row: Any) -> LockoutState:
    return LockoutState() if row is None else LockoutState(failed_count=row[0], locked_until=row[1])


def locked_account(user_id: ColumnElement[uuid.UUID], *, now: datetime) -> ColumnElement[bool]:
    """SQL: the account `user_id` is locked out of password login at `now`."""
    return exists().where(LoginLockout.user_id == user_id, LoginLockout.locked_until > now)


def locked_accounts(*, now: datetime) -> Select[tuple[uuid.UUID | None]]:
    """SQL: the accounts locked out of password login at `now`."""
    return select(LoginLockout.user_id).where(LoginLockout.locked_until > now, LoginLockout.user_id.is_not(None))


async def unlink_account(db: AsyncSession, *, user_id: uuid.UUID) -> None:
    """The account no longer has the email its streaks count (it changed): they stay, as for any
    email, but no longer make it "locked". In the caller's transaction."""
    await db.execute(
        update(LoginLockout)
        .where(LoginLockout.user_id == user_id)
        .values(user_id=None)
        .execution_options(synchronize_session=False)
    )


def _state_of(row: LoginLockout | None) -> LockoutState:
    if row is None:
        return LockoutState()
    return LockoutState(failed_count=row.failed_count, locked_until=row.locked_until)
