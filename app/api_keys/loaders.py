"""How the auth state reads an API key when its cache does not hold it, and records its use."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.exc import SQLAlchemyError

from app.api_keys.models import ApiKey
from app.authstate.authenticator import LAST_USED_RESOLUTION, RecordUse
from app.core.identity import ApiKeySnapshot
from app.db.engine import Database

logger = logging.getLogger(__name__)


def api_key_loader(database: Database) -> Callable[[str], Awaitable[ApiKeySnapshot | None]]:
    async def load(digest: str) -> ApiKeySnapshot | None:
        async with database.sessionmaker() as db:
            row = await db.scalar(select(ApiKey).where(ApiKey.key_hash == digest))
        if row is None:
            return None
        return ApiKeySnapshot(
            id=row.id,
            user_id=row.user_id,
            role=row.role,
            expires_at=row.expires_at,
            revoked_at=row.revoked_at,
            last_used_at=row.last_used_at,
        )

    return load


def api_key_use_recorder(database: Database) -> RecordUse:
    """`last_used_at = now`, unless the row already holds a use within the resolution (another
    worker wrote it): a conditional UPDATE in a short session of its own. A failure is only
    logged, and answers False."""

    async def record(api_key: ApiKeySnapshot, now: datetime) -> bool:
        statement = (
            update(ApiKey)
            .where(
                ApiKey.id == api_key.id,
                or_(ApiKey.last_used_at.is_(None), ApiKey.last_used_at <= now - LAST_USED_RESOLUTION),
            )
            .values(last_used_at=now)
            .execution_options(synchronize_session=False)
        )
        try:
            async with database.sessionmaker() as db:
                await db.execute(statement)
                await db.commit()
        except SQLAlchemyError:
            logger.warning("could not record the use of api key id=%s", api_key.id, exc_info=True)
            return False
        return True

    return record
