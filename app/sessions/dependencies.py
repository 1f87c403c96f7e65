"""The injected session service."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from app.core.secrets import SecretPurpose
from app.http.services import DbSession, ServicesDep
from app.sessions.service import SessionService


async def get_session_service(db: DbSession, services: ServicesDep) -> SessionService:
    return SessionService(
        db=db,
        settings=services.settings,
        hasher=services.keys.hasher(SecretPurpose.REFRESH_TOKEN),
        auth=services.auth,
    )


SessionServiceDep = Annotated[SessionService, Depends(get_session_service)]
