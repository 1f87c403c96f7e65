"""Injected session services (no authentication here: `app.auth` itself depends on these)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from app.db.session import SessionDep
from app.sessions.service import ClientInfo, SessionService


async def get_session_service(request: Request, db: SessionDep) -> SessionService:
    return SessionService(db=db, settings=request.app.state.settings)


SessionServiceDep = Annotated[SessionService, Depends(get_session_service)]


async def get_client_info(request: Request) -> ClientInfo:
    return ClientInfo.of(
        user_agent=request.headers.get("user-agent"), ip_address=request.client.host if request.client else None
    )


ClientInfoDep = Annotated[ClientInfo, Depends(get_client_info)]
