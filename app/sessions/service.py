"""Starting, refreshing, listing and ending login sessions.

Refresh tokens rotate: each exchange spends the presented token and issues a new one. Spending is
a conditional `UPDATE ... WHERE used_at IS NULL`, so of two requests racing with one token exactly
one wins, on SQLite (writers are serialised) and PostgreSQL (the row lock makes the loser re-check
the condition) alike. A spent token presented again is treated as follows:

* within REFRESH_TOKEN_REUSE_GRACE_SECONDS of its first exchange (two tabs refreshing at once),
  it gets a new access token and a new refresh token for the same session; the first exchange's
  token stays valid too, and each rotates on its own;
* later (or always, with a grace of 0), it is reuse: someone holds a copy of the token. The whole
  session (every token descended from that login, and its access tokens) is revoked with reason
  `reuse_detected`, a warning is logged (never the token), and the answer is `invalid_grant`.

Every revocation is a conditional update of `auth_sessions.revoked_at`, done in this module, with
an auth event in the same transaction, so every worker stops accepting the session's access
tokens (`app.authstate`).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.recorder import record_event
from app.audit.types import Actor, EventType
from app.authstate.changes import AuthChange, ChangeKind, record_auth_events
from app.authstate.state import AuthState
from app.config import Settings
from app.core.identity import ClientInfo
from app.core.metrics import REFRESH
from app.core.roles import Role
from app.core.secrets import KeyedHasher
from app.db.base import utcnow
from app.sessions.errors import InvalidGrant
from app.sessions.models import AuthSession, RefreshToken
from app.sessions.tokens import generate_refresh_token, is_well_formed

logger = logging.getLogger(__name__)


class RevokedReason(StrEnum):
    LOGOUT = "logout"
    ENDED_BY_USER = "ended_by_user"
    PASSWORD_CHANGED = "password_changed"
    USER_DEACTIVATED = "user_deactivated"
    ADMIN = "revoked_by_admin"
    REUSE_DETECTED = "reuse_detected"
    MFA_CHANGED = "mfa_changed"  # the user disabled their second factor


# The audit event of a session ended on purpose (other reasons are recorded by the change that causes them).
ENDED_EVENTS = {RevokedReason.LOGOUT: EventType.LOGOUT, RevokedReason.ENDED_BY_USER: EventType.SESSION_REVOKED}


class _Reused(InvalidGrant):
    """A spent refresh token presented again after the grace window (answered as any invalid grant)."""


@dataclass(frozen=True, slots=True)
class Grant:
    """A session and the refresh token just issued for it (the only time it exists in clear)."""

    session_id: uuid.UUID
    user_id: uuid.UUID
    refresh_token: str
    amr: tuple[str, ...] = ("pwd",)
    # The account's role now, for the `role` claim of the access token issued with this grant.
    role: Role | None = None


@dataclass(frozen=True, slots=True)
class LiveRefreshToken:
    """A refresh token that would be exchanged now (introspection's view of it)."""

    session_id: uuid.UUID
    user_id: uuid.UUID
    issued_at: datetime
    expires_at: datetime
    amr: tuple[str, ...]


def _active(now: datetime) -> tuple[Any, ...]:
    return (AuthSession.revoked_at.is_(None), AuthSession.expires_at > now)


def _rowcount(result: Any) -> int:
    assert isinstance(result, CursorResult)
    return result.rowcount


async def end_user_sessions(
    db: AsyncSession, *, user_id: uuid.UUID, reason: RevokedReason, keep: uuid.UUID | None = None
) -> int:
    """Revoke every live session of a user except `keep`, in the caller's transaction (not
    committed here, so a password change and the end of the sessions commit together)."""
    statement = update(AuthSession).where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None))
    if keep is not None:
        statement = statement.where(AuthSession.id != keep)
    result = await db.execute(
        statement.values(revoked_at=utcnow(), revoked_reason=reason.value).execution_options(synchronize_session=False)
    )
    ended = _rowcount(result)
    if ended:
        record_auth_events(db, [AuthChange(ChangeKind.USER_SESSIONS, user_id)])
    return ended


class SessionService:
    def __init__(self, *, db: AsyncSession, settings: Settings, hasher: KeyedHasher, auth: AuthState) -> None:
        self.db = db
        self.hasher = hasher  # SecretPurpose.REFRESH_TOKEN
        self.auth = auth
        self.ttl = timedelta(seconds=settings.refresh_token_ttl_seconds)
        self.grace = timedelta(seconds=settings.refresh_token_reuse_grace_seconds)

    # --- login and refresh -----------------------------------------------------------------
    async def start(
        self,
        *,
        user_id: uuid.UUID,
        client: ClientInfo,
        amr: tuple[str, ...] = ("pwd",),
        role: Role | None = None,
        record: Callable[[AsyncSession, Grant], None] | None = None,
    ) -> Grant:
        """`record` adds the login's audit events to the transaction that starts the session."""
        now = utcnow()
        session = AuthSession(
            id=uuid.uuid4(),
            user_id=user_id,
            created_at=now,
            expires_at=now + self.ttl,
            user_agent=client.user_agent,
            ip_address=client.ip_address,
            amr=" ".join(amr),
        )
        self.db.add(session)
        await self.db.flush()
        token = self._new_token(session_id=session.id, now=now)
        grant = Grant(session_id=session.id, user_id=user_id, refresh_token=token, amr=amr, role=role)
        if record is not None:
            record(self.db, grant)
        await self.db.commit()
        return grant

    async def refresh(self, *, refresh_token: str, client: ClientInfo) -> Grant:
        try:
            return await self._refresh(refresh_token=refresh_token, client=client)
        except _Reused:  # counted where it is found
            raise
        except InvalidGrant:
            REFRESH["invalid"].inc()
            raise

    async def _refresh(self, *, refresh_token: str, client: ClientInfo) -> Grant:
        found = await self._look_up(refresh_token)
        if found is None:
            raise InvalidGrant()
        token, session = found
        now = utcnow()
        if session.revoked_at is not None or session.expires_at <= now or token.expires_at <= now:
            raise InvalidGrant()
        # The account as authentication sees it (fresh across workers, like every access token check).
        user = await self.auth.user(session.user_id)
        if user is None or not user.is_active:
            raise InvalidGrant()

        amr = tuple(session.amr.split())  # a refresh keeps the login's methods
        used_at = token.used_at
        if used_at is None:
            successor = uuid.uuid4()
            spent = await self.db.execute(
                update(RefreshToken)
                .where(RefreshToken.id == token.id, RefreshToken.used_at.is_(None))
                .values(used_at=now, replaced_by=successor)
                .execution_options(synchronize_session=False)
            )
            if _rowcount(spent) == 1:
                grant = await self._continue(
                    session_id=session.id,
                    user_id=user.id,
                    now=now,
                    client=client,
                    token_id=successor,
                    amr=amr,
                    role=user.role,
                )
                REFRESH["rotated"].inc()
                return grant
            # Another request spent it a moment ago: this one is a reuse, judged like any other.
            used_at = await self.db.scalar(select(RefreshToken.used_at).where(RefreshToken.id == token.id))
            if used_at is None:  # the token's session was pruned in between
                await self.db.rollback()
                raise InvalidGrant()

        if self.grace and now - used_at <= self.grace:
            logger.info("spent refresh token exchanged again within the grace window; session=%s", session.id)
            grant = await self._continue(
                session_id=session.id, user_id=user.id, now=now, client=client, amr=amr, role=user.role
            )
            REFRESH["grace"].inc()
            return grant
        revoked = await self._revoke(session_id=session.id, reason=RevokedReason.REUSE_DETECTED)
        if revoked:
            # Whoever presented the token holds the account's credential: it is attributed to the account.
            record_event(
                self.db,
                EventType.SESSION_REUSE_DETECTED,
                actor=Actor.user(user.id),
                target_user_id=user.id,
                details={"session_id": session.id, "spent_at": used_at},
            )
        await self.db.commit()
        if not revoked:  # once per session: another copy of the token revoked it a moment ago
            raise InvalidGrant()
        REFRESH["reuse_detected"].inc()
        logger.warning(
            "refresh token reuse detected: a token spent at %s was presented again; session=%s of user=%s revoked",
            used_at.isoformat(),
            session.id,
            user.id,
        )
        raise _Reused()

    async def _look_up(self, refresh_token: str) -> tuple[RefreshToken, AuthSession] | None:
        """The refresh token with this value and its session, or None. The read ends here and
        gives its connection back: a caller may then read the account on a connection of its own,
        and a request holding one while it waits for another starves the pool under a burst.
        Writes that follow are guarded by their WHERE."""
        if not is_well_formed(refresh_token):
            return None
        found = (
            await self.db.execute(
                select(RefreshToken, AuthSession)
                .join(AuthSession, AuthSession.id == RefreshToken.session_id)
                .where(RefreshToken.token_hash == self.hasher.digest(refresh_token))
            )
        ).first()
        await self.db.commit()
        return None if found is None else (found[0], found[1])

    async def _continue(
        self,
        *,
        session_id: uuid.UUID,
        user_id: uuid.UUID,
        now: datetime,
        client: ClientInfo,
        token_id: uuid.UUID | None = None,
        amr: tuple[str, ...] = ("pwd",),
        role: Role | None = None,
    ) -> Grant:
        """Issue the session's next refresh token and slide its expiry, unless it was revoked
        (a logout racing this refresh): then nothing is issued."""
        still_active = await self.db.execute(
            update(AuthSession)
            .where(AuthSession.id == session_id, *_active(now))
            .values(
                last_refreshed_at=now,
                expires_at=now + self.ttl,
                user_agent=client.user_agent,
                ip_address=client.ip_address,
            )
            .execution_options(synchronize_session=False)
        )
        if _rowcount(still_active) != 1:
            await self.db.rollback()
            raise InvalidGrant()
        token = self._new_token(session_id=session_id, now=now, token_id=token_id)
        await self.db.commit()
        return Grant(session_id=session_id, user_id=user_id, refresh_token=token, amr=amr, role=role)

    async def inspect(self, *, refresh_token: str) -> LiveRefreshToken | None:
        """The refresh token if it is unspent, unexpired and its session live; else None. Reads
        only: nothing is spent, and a spent token is not judged as a reuse."""
        found = await self._look_up(refresh_token)
        if found is None:
            return None
        token, session = found
        now = utcnow()
        if token.used_at is not None or token.expires_at <= now:
            return None
        if session.revoked_at is not None or session.expires_at <= now:
            return None
        return LiveRefreshToken(
            session_id=session.id,
            user_id=session.user_id,
            issued_at=token.created_at,
            expires_at=token.expires_at,
            amr=tuple(session.amr.split()),
        )

    def _new_token(self, *, session_id: uuid.UUID, now: datetime, token_id: uuid.UUID | None = None) -> str:
        token = generate_refresh_token()
        self.db.add(
            RefreshToken(
                id=token_id or uuid.uuid4(),
                session_id=session_id,
                token_hash=self.hasher.digest(token),
                created_at=now,
                expires_at=now + self.ttl,
            )
        )
        return token

    # --- listing and ending ----------------------------------------------------------------
    async def list_active(self, *, user_id: uuid.UUID) -> Sequence[AuthSession]:
        last_seen = func.coalesce(AuthSession.last_refreshed_at, AuthSession.created_at)
        statement = (
            select(AuthSession)
            .where(AuthSession.user_id == user_id, *_active(utcnow()))
            .order_by(last_seen.desc(), AuthSession.id)
        )
        return (await self.db.scalars(statement)).all()

    async def get_active(self, *, session_id: uuid.UUID, user_id: uuid.UUID) -> AuthSession | None:
        statement = select(AuthSession).where(
            AuthSession.id == session_id, AuthSession.user_id == user_id, *_active(utcnow())
        )
        session: AuthSession | None = await self.db.scalar(statement)
        return session

    async def end(
        self, *, session_id: uuid.UUID, reason: RevokedReason, actor: Actor | None = None, via: str | None = None
    ) -> bool:
        """A logout or a user ending one of their sessions is recorded (`logout`, `session.revoked`),
        attributed to `actor` or else to the session's own user."""
        ended = await self._revoke(session_id=session_id, reason=reason)
        if ended is not None and (kind := ENDED_EVENTS.get(reason)) is not None:
            details: dict[str, object] = {"session_id": session_id}
            if via is not None:
                details["via"] = via
            record_event(self.db, kind, actor=actor or Actor.user(ended), target_user_id=ended, details=details)
        await self.db.commit()
        return ended is not None

    async def end_all(
        self, *, user_id: uuid.UUID, reason: RevokedReason, keep: uuid.UUID | None = None, actor: Actor | None = None
    ) -> int:
        ended = await end_user_sessions(self.db, user_id=user_id, reason=reason, keep=keep)
        if reason is RevokedReason.ADMIN and actor is not None:
            details = {"sessions_ended": ended}
            record_event(
                self.db, EventType.SESSIONS_REVOKED_BY_ADMIN, actor=actor, target_user_id=user_id, details=details
            )
        await self.db.commit()
        return ended

    async def end_by_refresh_token(self, *, refresh_token: str) -> bool:
        """End the session a refresh token belongs to (RFC 7009 revocation); possession of the
        token, spent or not, is the authority to end its session."""
        if not is_well_formed(refresh_token):
            return False
        session_id = await self.db.scalar(
            select(RefreshToken.session_id).where(RefreshToken.token_hash == self.hasher.digest(refresh_token))
        )
        return session_id is not None and await self.end(
            session_id=session_id, reason=RevokedReason.LOGOUT, via="revoke"
        )

    async def _revoke(self, *, session_id: uuid.UUID, reason: RevokedReason) -> uuid.UUID | None:
        """The user whose session this revocation ended; None when it had ended already."""
        ended: uuid.UUID | None = await self.db.scalar(
            update(AuthSession)
            .where(AuthSession.id == session_id, AuthSession.revoked_at.is_(None))
            .values(revoked_at=utcnow(), revoked_reason=reason.value)
            .returning(AuthSession.user_id)
            .execution_options(synchronize_session=False)
        )
        if ended is None:
            return None
        record_auth_events(self.db, [AuthChange(ChangeKind.SESSION, session_id)])
        return ended
