"""Issue, list and revoke API keys.

The cap on active keys per account is checked inside the write transaction, after the insert,
with the owner's row locked first (PostgreSQL) or the write lock held (SQLite), so requests
racing on several workers cannot together pass it.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.api_keys.errors import ApiKeyLimitReached, ApiKeyRoleNotAllowed
from app.api_keys.models import ApiKey
from app.api_keys.schemas import ApiKeyCreate
from app.audit.recorder import record_event
from app.audit.types import Actor, EventType
from app.authstate.changes import AuthChange, ChangeKind, record_auth_events
from app.core.api_key_format import display_prefix, generate_key
from app.core.identity import Caller
from app.core.notifications import MailKind, Outbox
from app.core.roles import lesser_role
from app.core.secrets import KeyedHasher
from app.db.base import utcnow
from app.users.models import User

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class IssuedApiKey:
    api_key: ApiKey
    secret: str  # the only copy; the database keeps its hash


class ApiKeyService:
    def __init__(
        self,
        *,
        db: AsyncSession,
        hasher: KeyedHasher,
        max_active_per_user: int,
        mail: Outbox | None = None,
        notify_created: bool = False,
    ) -> None:
        self.mail = mail if notify_created else None  # the notice of a new key, when it is on
        self.db = db
        self.hasher = hasher  # SecretPurpose.API_KEY
        self.max_active_per_user = max_active_per_user

    async def create(self, *, caller: Caller, data: ApiKeyCreate) -> IssuedApiKey:
        """A key for the caller, capped at most at the role the caller acts with now (an API key
        acting as `user` cannot mint an `admin` key, whatever its owner's role)."""
        role = data.role or caller.role
        if lesser_role(role, caller.role) is not role:
            raise ApiKeyRoleNotAllowed(f"An API key's role cannot exceed the role you act with ({caller.role.value}).")
        secret = generate_key()
        api_key = ApiKey(
            user_id=caller.id,
            name=data.name,
            prefix=display_prefix(secret),
            key_hash=self.hasher.digest(secret),
            role=role,
            expires_at=data.expires_at,
        )
        users = User.__table__
        await self.db.execute(select(users.c.id).where(users.c.id == caller.id).with_for_update())
        self.db.add(api_key)
        await self.db.flush()
        if await self._count_active(user_id=caller.id) > self.max_active_per_user:
            await self.db.rollback()
            raise ApiKeyLimitReached(
                f"An account may hold at most {self.max_active_per_user} active API keys; revoke one first."
            )
        if self.mail is not None:  # the notice commits with the key, or not at all
            details = {"key_name": api_key.name, "key_prefix": api_key.prefix}
            self.mail.enqueue(self.db, kind=MailKind.API_KEY_CREATED, to=caller.user.email, details=details)
        record_event(
            self.db,
            EventType.API_KEY_CREATED,
            actor=Actor.of(caller),
            target_user_id=caller.id,
            details={"api_key_id": api_key.id, "name": api_key.name, "role": role, "expires_at": api_key.expires_at},
        )
        await self.db.commit()
        logger.info("api key created id=%s user=%s role=%s", api_key.id, caller.id, role.value)
        return IssuedApiKey(api_key=api_key, secret=secret)

    async def get(self, *, api_key_id: uuid.UUID) -> ApiKey | None:
        return await self.db.get(ApiKey, api_key_id)

    async def list_for_owner(self, *, user_id: uuid.UUID) -> Sequence[ApiKey]:
        statement = select(ApiKey).where(ApiKey.user_id == user_id).order_by(ApiKey.created_at.desc(), ApiKey.id)
        return (await self.db.scalars(statement)).all()

    async def list(self, *, user_id: uuid.UUID | None, limit: int, offset: int) -> tuple[Sequence[ApiKey], int]:
        conditions = [] if user_id is None else [ApiKey.user_id == user_id]
        page = (
            select(ApiKey).where(*conditions).order_by(ApiKey.created_at.desc(), ApiKey.id).limit(limit).offset(offset)
        )
        total = select(func.count()).select_from(ApiKey).where(*conditions)
        return (await self.db.scalars(page)).all(), int(await self.db.scalar(total) or 0)

    async def revoke(self, *, api_key: ApiKey, actor: Caller) -> None:
        """Revoke once; revoking again keeps the first `revoked_at`. The row stays, for audit."""
        result = await self.db.execute(
            update(ApiKey)
            .where(ApiKey.id == api_key.id, ApiKey.revoked_at.is_(None))
            .values(revoked_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        if getattr(result, "rowcount", 0):
            record_auth_events(self.db, [AuthChange(ChangeKind.API_KEY, api_key.id)])
            record_event(
                self.db,
                EventType.API_KEY_REVOKED,
                actor=Actor.of(actor),
                target_user_id=api_key.user_id,
                details={"api_key_id": api_key.id, "name": api_key.name},
            )
        await self.db.commit()
        if getattr(result, "rowcount", 0):
            logger.info("api key revoked id=%s owner=%s by=%s", api_key.id, api_key.user_id, actor.id)

    async def _count_active(self, *, user_id: uuid.UUID) -> int:
        now = utcnow()
        statement = (
            select(func.count())
            .select_from(ApiKey)
            .where(
                ApiKey.user_id == user_id,
                ApiKey.revoked_at.is_(None),
                or_(ApiKey.expires_at.is_(None), ApiKey.expires_at > now),
            )
        )
        return int(await self.db.scalar(statement) or 0)
