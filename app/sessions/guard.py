"""Whether the session behind an access token is still live.

Every request authenticated by an access token asks `SessionGuard.is_active`, so a logout or any
other revocation stops the session's access tokens on the very next request, on every worker:
the answer comes from the database, which all workers share. This is the one place that decides
it, so a cache (with invalidation across workers) can later be put behind this method alone.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.sessions.models import AuthSession


class SessionGuard:
    async def is_active(self, db: AsyncSession, *, session_id: uuid.UUID, user_id: uuid.UUID) -> bool:
        # Only revocation is checked, not `expires_at`: that is the refresh tokens' lifetime, and
        # an access token lives out its own short `exp`. A pruned (deleted) session is not active.
        found = await db.scalar(
            select(AuthSession.id).where(
                AuthSession.id == session_id, AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None)
            )
        )
        return found is not None
