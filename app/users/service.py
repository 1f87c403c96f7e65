"""Accounts: registration, look-ups, listing, and changes by admins and by users themselves.

Every change of an account goes through `_apply`, which is where the rules live:

* a new password passes the policy, is hashed off the event loop, and ends the user's sessions in
  the same commit (all of them, or all but the caller's own);
* deactivating a user ends their sessions too;
* a new email is unverified, and unique (the unique index decides when two requests race);
* the last active admin can be neither demoted, deactivated nor deleted. The check runs inside the
  write transaction, after the change, with the admin rows locked first (PostgreSQL) or the write
  lock held (SQLite), so two admins demoting each other at the same moment cannot both succeed.

Each change decides on the account as it is in the write transaction, re-read after the locks are
taken, never on the copy the request loaded (`_lock_for_change`).
"""

from __future__ import annotations

import hmac
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, func, literal_column, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.recorder import record_event
from app.audit.types import Actor, EventType
from app.authstate.errors import ApiKeyNotAllowed
from app.core.emails import normalise_email
from app.core.identity import Caller, Credential
from app.core.notifications import MailKind
from app.core.passwords import PasswordHasher
from app.core.roles import Role
from app.core.text import is_storable
from app.db.base import utcnow
from app.lockout.service import LockoutService, unlink_account
from app.sessions.service import RevokedReason, end_user_sessions
from app.users.account_mail import AccountMail
from app.users.errors import (
    CurrentPasswordInvalid,
    EmailAlreadyUsed,
    EmailChangeBadToken,
    LastAdminError,
    UserAlreadyExists,
    UserNotFound,
)
from app.users.models import User, UserCount
from app.users.models import columns as user_columns
from app.users.password_policy import DEFAULT_POLICY, PasswordPolicy
from app.users.schemas import AdminUserCreate, AdminUserUpdate, UserUpdate
from app.users.search import Found, UserSearch, row_filters, search_term

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SelfUpdate:
    user: User
    pending_email: str | None


class UserService:
    def __init__(
        self,
        *,
        db: AsyncSession,
        passwords: PasswordHasher,
        mail: AccountMail | None = None,
        policy: PasswordPolicy = DEFAULT_POLICY,
    ) -> None:
        self.db = db
        self.passwords = passwords
        self.mail = mail  # None: no mail (the first admin, scripts)
        self.policy = policy  # the default: PASSWORD_MIN_LENGTH's and PASSWORD_MAX_LENGTH's defaults

    # --- look-ups ----------------------------------------------------------------------------
    async def get(self, *, user_id: uuid.UUID) -> User | None:
        return await self.db.get(User, user_id)

    async def get_by_email(self, *, email: str) -> User | None:
        if not is_storable(email):
            # No stored email holds a NUL or a lone surrogate (emails are validated), and
            # PostgreSQL cannot even compare text with one: such an email finds no account.
            return None
        # Emails are stored lower-cased; comparing the column itself (not lower(column)) lets
        # the unique index answer instead of a scan of every account.
        user: User | None = await self.db.scalar(select(User).where(user_columns.email == normalise_email(email)))
        return user

    async def list(
        self,
        *,
        limit: int,
        offset: int,
        role: Role | None = None,
        is_active: bool | None = None,
        is_verified: bool | None = None,
        mfa_enabled: bool | None = None,
        locked: bool | None = None,
        email_contains: str | None = None,
    ) -> Found:
        """A page of users, newest first, and how many users the filters match (`app.users.search`).

        Without a search or a row filter the total comes from the running totals in `user_counts`,
        so it costs the same with a thousand users or a million; with one, matches are counted up
        to `COUNT_LIMIT`.
        """
        counts = await self._counts()
        matching = sum(
            count
            for (counted_role, counted_active), count in counts.items()
            if (role is None or counted_role == role) and (is_active is None or counted_active == is_active)
        )
        conditions: list[ColumnElement[bool]] = []
        if role is not None or is_active is not None:
            # Every role is named when only is_active is given, so the (role, is_active) index
            # serves that filter too (one index range per role).
            conditions.append(user_columns.role == role if role is not None else user_columns.role.in_(list(Role)))
        if is_active is not None:
            conditions.append(user_columns.is_active == is_active)
        if conditions and self.db.get_bind().dialect.name == "sqlite":
            # Matching users spread over time fill the page after (offset + limit) / share rows of
            # the created_at index; finding them by (role, is_active) instead reads and sorts all
            # `matching` rows. Take the cheaper plan (no more than sqrt((offset + limit) * users)
            # rows either way).
            walk = matching * matching >= (offset + limit) * sum(counts.values())
            conditions = _planned_for_sqlite(conditions, walk_created_at=walk)
        filters = row_filters(is_verified=is_verified, mfa_enabled=mfa_enabled, locked=locked)
        term = search_term(email_contains)
        return await UserSearch(self.db).find(
            conditions=[*conditions, *filters],
            term=term,
            limit=limit,
            offset=offset,
            known_total=matching if not filters and term is None else None,
        )

    async def _counts(self) -> dict[tuple[Role, bool], int]:
        """Users per (role, is_active), from the totals the database triggers keep."""
        rows = await self.db.execute(select(UserCount.role, UserCount.is_active, UserCount.count))
        return {(role, is_active): count for role, is_active, count in rows.tuples()}

    # --- creating ------------------------------------------------------------------------------
    async def register(self, *, email: str, password: str, on_created: Callable[[User], None] | None = None) -> User:
        """Self-registration: a user account, unverified, whatever else the request asked for."""
        return await self.create(
            data=AdminUserCreate(email=email, password=password), actor=None, on_created=on_created
        )

    async def create(
        self, *, data: AdminUserCreate, actor: Actor | None, on_created: Callable[[User], None] | None = None
    ) -> User:
        """`on_created` runs inside the creating transaction, with the row's id set: what it adds
        to the session (a verification mail) commits with the account, or not at all. `actor`
        None is a registration (`user.registered`, by the account itself); otherwise whoever
        created the account (`user.created`: an admin, or `system` at start-up)."""
        with self.passwords.admission():  # before any database work: a full queue costs nothing
            self.policy.check(data.password, email=data.email, creating=True)
            hashed_password = await self.passwords.hash_async(data.password)
        # The hash comes first, so no connection waits on it; the unique index decides a race.
        if await self.get_by_email(email=data.email) is not None:
            raise UserAlreadyExists()
        user = User(
            id=uuid.uuid4(),
            email=data.email,
            hashed_password=hashed_password,
            role=data.role,
            is_verified=data.is_verified,
        )
        self.db.add(user)
        record_event(
            self.db,
            EventType.USER_REGISTERED if actor is None else EventType.USER_CREATED,
            actor=actor or Actor.user(user.id),
            target_user_id=user.id,
            details={"email": user.email, "role": user.role, "is_verified": user.is_verified},
        )
        if on_created is not None:
            on_created(user)
        try:
            await self.db.commit()
        except IntegrityError as error:
            # Two registrations of one email raced past the look-up; the unique index decided.
            await self.db.rollback()
            raise UserAlreadyExists() from error
        await self.db.refresh(user)
        logger.info("user created id=%s role=%s", user.id, user.role.value)
        return user

    # --- changing -----------------------------------------------------------------------------
    async def update_self(
        self,
        *,
        user: User,
        data: UserUpdate,
        lockouts: LockoutService,
        current_session_id: uuid.UUID | None = None,
    ) -> SelfUpdate:
        """A new password or email needs the current password (a wrong one counts as a failed
        login). A new password applies at once and ends the user's other sessions
        (`current_session_id`, the caller's, stays); a new email waits for the link mailed to it."""
        changes = data.changes()
        new_email = changes.pop("email", None)
        if new_email == user.email:
            new_email = None
        if new_email is None and changes.get("password") is None:
            return SelfUpdate(user=user, pending_email=None)
        await self._check_current_password(user, data.current_password, lockouts)
        if new_email is not None:
            await self._request_email_change(user, new_email)
        if changes.get("password") is not None:
            user = await self._apply(
                user, {"password": changes["password"]}, actor=Actor.user(user.id), keep_session_id=current_session_id
            )
        return SelfUpdate(user=user, pending_email=new_email)

    async def _check_current_password(self, user: User, password: str | None, lockouts: LockoutService) -> None:
        if password is None:
            raise CurrentPasswordInvalid()
        lockout = await lockouts.state(email=user.email)
        await self.db.commit()  # nothing holds a connection while the hash runs
        if lockout.is_locked(utcnow()) or not is_storable(password):
            await self.passwords.burn_verify(password if is_storable(password) else "-")
            raise CurrentPasswordInvalid()
        verified, _ = await self.passwords.verify_async(password, user.hashed_password)
        if not verified:
            await lockouts.record_failure(email=user.email, user_id=user.id)
            raise CurrentPasswordInvalid()
        if lockout.failed_count:
            await lockouts.clear(email=user.email)

    async def _request_email_change(self, user: User, new_email: str) -> None:
        """Mail a confirmation link to the new address and a notice to the old one; change nothing."""
        if await self.get_by_email(email=new_email) is not None:
            raise EmailAlreadyUsed()
        if self.mail is not None:
            token = self.mail.email_change.issue(user, new_email=new_email)
            self.mail.outbox.enqueue(self.db, kind=MailKind.CONFIRM_EMAIL_CHANGE, to=new_email, token=token)
            self._notify(MailKind.EMAIL_CHANGE_REQUESTED, to=user.email, new_email=new_email)
        record_event(
            self.db,
            EventType.EMAIL_CHANGE_REQUESTED,
            actor=Actor.user(user.id),
            target_user_id=user.id,
            details={"email": user.email, "new_email": new_email},
        )
        await self.db.commit()

    async def confirm_email_change(self, *, token: str) -> User:
        """Apply the email change a confirmation link names; the new address is verified by it."""
        if self.mail is None:
            raise EmailChangeBadToken()
        request = self.mail.email_change.read(token)
        user = await self.get(user_id=request.user_id)
        if user is None or not user.is_active:
            raise EmailChangeBadToken()
        if not hmac.compare_digest(request.fingerprint, self.mail.email_change.fingerprint(user)):
            raise EmailChangeBadToken()  # used, or the email or password changed since
        if await self.get_by_email(email=request.new_email) is not None:
            raise EmailAlreadyUsed()
        return await self._apply(user, {"email": request.new_email, "is_verified": True}, actor=Actor.user(user.id))

    def _notify(self, kind: MailKind, *, to: str, **details: str) -> None:
        if self.mail is not None and kind in self.mail.notices:
            self.mail.outbox.enqueue(self.db, kind=kind, to=to, details=details)

    async def update(
        self,
        *,
        target: User,
        data: AdminUserUpdate,
        actor: Caller,
        current_session_id: uuid.UUID | None = None,
    ) -> User:
        changes = data.changes()
        logs_in_differently = changes.get("email") is not None or changes.get("password") is not None
        if actor.id == target.id and actor.credential is Credential.API_KEY and logs_in_differently:
            raise ApiKeyNotAllowed()  # a key never changes how its own owner logs in
        return await self._apply(
            target, changes, actor=Actor.of(actor), by_admin=True, keep_session_id=current_session_id
        )

    async def set_password(self, *, user: User, password: str) -> User:
        """A password reset: every session of the user ends."""
        return await self._apply(user, {"password": password}, actor=Actor.user(user.id), password_reset=True)

    async def mark_verified(self, *, user: User) -> User:
        """The verification link was followed: whoever holds the mailbox is the account's owner."""
        return await self._apply(user, {"is_verified": True}, actor=Actor.user(user.id))

    async def rehash(self, *, user: User, hashed_password: str) -> None:
        """Store a stronger hash of the same password (sessions stay: the password is unchanged)."""
        user.hashed_password = hashed_password
        await self.db.commit()

    async def delete(self, *, target: User, actor: Actor) -> None:
        await self.db.commit()
        await self._lock_for_change(target, with_admins=True)
        is_active_admin = target.role is Role.ADMIN and target.is_active
        target_id, details = target.id, {"email": target.email, "role": target.role}
        await self.db.delete(target)
        await self.db.flush()
        record_event(self.db, EventType.USER_DELETED, actor=actor, target_user_id=target_id, details=details)
        if is_active_admin:
            await self._refuse_if_no_admin_left()
        await self.db.commit()

    async def _apply(
        self,
        user: User,
        requested: dict[str, Any],
        *,
        actor: Actor,
        by_admin: bool = False,
        keep_session_id: uuid.UUID | None = None,
        password_reset: bool = False,
    ) -> User:
        hashed_password = None
        if requested.get("password") is not None:
            with self.passwords.admission():
                self.policy.check(requested["password"], email=requested.get("email") or user.email)
                # End the transaction that loaded the account: no connection waits on the hash.
                await self.db.commit()
                hashed_password = await self.passwords.hash_async(requested["password"])
        # Decide on the row as it is now, not as the request loaded it: another change may have
        # committed since. The write transaction takes its locks first, then re-reads the account.
        await self.db.commit()
        may_remove_admin = "role" in requested or requested.get("is_active") is False
        await self._lock_for_change(user, with_admins=may_remove_admin)
        changes = await self._column_values(user, requested, hashed_password=hashed_password)
        loses_admin = (
            user.role is Role.ADMIN
            and user.is_active
            and (changes.get("role", Role.ADMIN) is not Role.ADMIN or changes.get("is_active") is False)
        )
        if "hashed_password" in changes or changes.get("is_active") is False:
            reason = RevokedReason.PASSWORD_CHANGED if "hashed_password" in changes else RevokedReason.USER_DEACTIVATED
            await end_user_sessions(self.db, user_id=user.id, reason=reason, keep=keep_session_id)
        if "email" in changes:
            await unlink_account(self.db, user_id=user.id)  # the old email's streak is not this account's
        was = {"email": user.email, "is_active": user.is_active, "role": user.role, "is_verified": user.is_verified}
        was_email, was_active = user.email, user.is_active
        for field, value in changes.items():
            setattr(user, field, value)
        try:
            await self.db.flush()
        except IntegrityError as error:  # an email taken between the check and the write
            await self.db.rollback()
            raise EmailAlreadyUsed() from error
        self._notify_changes(user, changes, was_email=was_email, was_active=was_active, password_reset=password_reset)
        self._record_changes(
            user, requested, changes, was=was, actor=actor, by_admin=by_admin, password_reset=password_reset
        )
        if loses_admin:
            await self._refuse_if_no_admin_left()
        await self.db.commit()
        await self.db.refresh(user)
        return user

    def _notify_changes(
        self, user: User, changes: dict[str, Any], *, was_email: str, was_active: bool, password_reset: bool
    ) -> None:
        """The security notices of a change, in its transaction: they are sent if it commits."""
        if "hashed_password" in changes:
            self._notify(MailKind.PASSWORD_RESET if password_reset else MailKind.PASSWORD_CHANGED, to=user.email)
        if "email" in changes:
            self._notify(MailKind.EMAIL_CHANGED, to=was_email, new_email=user.email)
        if changes.get("is_active") is False and was_active:
            self._notify(MailKind.ACCOUNT_DEACTIVATED, to=user.email)
        if changes.get("is_active") is True and not was_active:
            self._notify(MailKind.ACCOUNT_REACTIVATED, to=user.email)

    def _record_changes(
        self,
        user: User,
        requested: dict[str, Any],
        changes: dict[str, Any],
        *,
        was: dict[str, Any],
        actor: Actor,
        by_admin: bool,
        password_reset: bool,
    ) -> None:
        """The audit events of a change, in its transaction: `user.updated` (an admin's change,
        naming the fields) and the specific type of each field that changed."""
        changed = {
            field
            for field in changes
            if field == "hashed_password" or (field in was and was[field] != changes[field]) or field not in was
        }
        if not changed:
            return

        def record(kind: EventType, details: dict[str, Any] | None = None) -> None:
            record_event(self.db, kind, actor=actor, target_user_id=user.id, details=details)

        if by_admin:
            # `is_verified` reset by a new email is part of the email change, not a field of its own.
            names = {"password" if field == "hashed_password" else field for field in changed}
            if "is_verified" not in requested:
                names.discard("is_verified")
            record(EventType.USER_UPDATED, {"fields": sorted(names)})
        if "role" in changed:
            record(EventType.USER_ROLE_CHANGED, {"from": was["role"], "to": changes["role"]})
        if "is_active" in changed:
            record(EventType.USER_DEACTIVATED if changes["is_active"] is False else EventType.USER_REACTIVATED)
        if "is_verified" in changed and changes["is_verified"] is True and "email" not in changed:
            record(EventType.USER_VERIFIED)
        if "hashed_password" in changed:
            record(EventType.PASSWORD_RESET if password_reset else EventType.PASSWORD_CHANGED, {"by_admin": by_admin})
        if "email" in changed:
            record(EventType.EMAIL_CHANGED, {"from": was["email"], "to": changes["email"]})

    async def _column_values(
        self, user: User, requested: dict[str, Any], *, hashed_password: str | None
    ) -> dict[str, Any]:
        """Validate requested changes and turn them into column values."""
        changes: dict[str, Any] = {}
        for field, value in requested.items():
            if value is None:
                continue
            if field == "email":
                if value == user.email:
                    continue
                if await self.get_by_email(email=value) is not None:
                    raise EmailAlreadyUsed()
                changes["email"] = value
                changes["is_verified"] = False
            elif field == "password":
                changes["hashed_password"] = hashed_password
            elif field == "role":
                changes["role"] = Role(value)
            else:
                changes[field] = value
        return changes

    async def _lock_for_change(self, user: User, *, with_admins: bool) -> None:
        """Begin the write transaction holding what the change decides on, then re-read the account.

        Nothing another request commits can then land between the re-read and the UPDATE: neither
        a change of this account (whose columns the ORM would otherwise partly overwrite) nor a
        change of another admin (which the last-admin check counts).
        """
        if self.db.get_bind().dialect.name == "sqlite":
            # One writer at a time and no row locks: a write that changes nothing takes the
            # database's write lock now (a SELECT would take none), waiting up to the busy timeout.
            # `email` is in no trigger's column list, and `updated_at` is kept as it is.
            result = await self.db.execute(
                update(User)
                .where(user_columns.id == user.id)
                .values(email=user_columns.email, updated_at=user_columns.updated_at)
                .execution_options(synchronize_session=False)
            )
            exists = result.rowcount == 1  # type: ignore[attr-defined]
        else:
            # Row locks: the account, and the active admins when the change may remove one, in id
            # order, so two changes that lock the same rows lock them in the same order.
            locked = user_columns.id == user.id
            if with_admins:
                locked = locked | ((user_columns.role == Role.ADMIN) & user_columns.is_active.is_(True))
            locking = select(user_columns.id).where(locked).order_by(user_columns.id).with_for_update()
            exists = user.id in set(await self.db.scalars(locking))
        if not exists:  # deleted by another request since this one loaded it
            await self.db.rollback()
            raise UserNotFound()
        await self.db.refresh(user)

    async def _refuse_if_no_admin_left(self) -> None:
        remaining = await self.db.scalar(
            select(func.count())
            .select_from(User)
            .where(user_columns.role == Role.ADMIN, user_columns.is_active.is_(True))
        )
        if not remaining:
            await self.db.rollback()
            raise LastAdminError()


def _planned_for_sqlite(conditions: list[ColumnElement[bool]], *, walk_created_at: bool) -> list[ColumnElement[bool]]:
    """The role and is_active filters, with the plan for them told to SQLite's planner.

    Left alone, the planner guesses: without statistics it assumes an indexed equality keeps a
    handful of rows, so for a common role it sorts a million users rather than walking the
    created_at index until the page is full; with ANALYZE statistics it averages over the roles
    and errs the other way for a rare one. `likelihood()` is SQLite's way of taking the decision
    from the application, which knows the exact totals. PostgreSQL keeps per-value statistics,
    weighs the LIMIT itself and gets no hint.
    """
    hint: ColumnElement[float] = literal_column("1.0" if walk_created_at else "0.000001")
    return [func.likelihood(condition, hint) for condition in conditions]
