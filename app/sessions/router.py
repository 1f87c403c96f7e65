"""`/users/me/sessions`: the caller's own login sessions."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, status

from app.audit.types import Actor
from app.http.caller import CurrentCaller
from app.sessions.dependencies import SessionServiceDep
from app.sessions.errors import SessionNotFound
from app.sessions.models import AuthSession
from app.sessions.schemas import SessionRead
from app.sessions.service import RevokedReason

router = APIRouter(prefix="/users/me/sessions", tags=["sessions"])


async def owned_session(session_id: uuid.UUID, caller: CurrentCaller, sessions: SessionServiceDep) -> AuthSession:
    """The caller's own active session `{session_id}`; anyone else's is a 404, as if absent."""
    session = await sessions.get_active(session_id=session_id, user_id=caller.id)
    if session is None:
        raise SessionNotFound()
    return session


OwnedSession = Annotated[AuthSession, Depends(owned_session)]


@router.get("", response_model=list[SessionRead])
async def list_my_sessions(caller: CurrentCaller, sessions: SessionServiceDep) -> list[SessionRead]:
    """Your active sessions (one per login that has not ended), most recently used first."""
    found = await sessions.list_active(user_id=caller.id)
    return [SessionRead.of(session, current_session_id=caller.session_id) for session in found]


@router.delete("/{session_id}", status_code=status.HTTP_204_NO_CONTENT)
async def end_my_session(session: OwnedSession, caller: CurrentCaller, sessions: SessionServiceDep) -> None:
    """End one of your sessions: its refresh token is refused and its access tokens get 401."""
    if not await sessions.end(session_id=session.id, reason=RevokedReason.ENDED_BY_USER, actor=Actor.of(caller)):
        raise SessionNotFound()  # ended by another request in the meantime
