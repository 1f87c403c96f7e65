"""The injected lockout service."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from app.core.secrets import SecretPurpose
from app.http.services import DbSession, ServicesDep
from app.lockout.service import LockoutService


async def get_lockout_service(db: DbSession, services: ServicesDep) -> LockoutService:
    return LockoutService(db=db, settings=services.settings, hasher=services.keys.hasher(SecretPurpose.LOGIN_LOCKOUT))


LockoutServiceDep = Annotated[LockoutService, Depends(get_lockout_service)]
