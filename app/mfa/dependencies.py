"""The injected second-factor service, and the clock its codes are checked against."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from app.http.services import DbSession, ServicesDep
from app.lockout.dependencies import LockoutServiceDep
from app.mfa.service import Clock, MfaService, system_clock


def get_clock() -> Clock:
    """The time TOTP codes are checked at; tests override this dependency to move it."""
    return system_clock


ClockDep = Annotated[Clock, Depends(get_clock)]


async def get_mfa_service(
    db: DbSession, services: ServicesDep, lockouts: LockoutServiceDep, clock: ClockDep
) -> MfaService:
    return MfaService(
        db=db,
        settings=services.settings,
        keys=services.keys,
        passwords=services.passwords,
        lockouts=lockouts,
        clock=clock,
    )


MfaServiceDep = Annotated[MfaService, Depends(get_mfa_service)]
