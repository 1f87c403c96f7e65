"""The shared services, the database session and the client, as injected values."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from app.container import Services
from app.core.identity import ClientInfo
from app.ratelimit.client import ClientAddress


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services  # the one place that knows where they live
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


async def get_db(services: ServicesDep) -> AsyncIterator[AsyncSession]:
    """The request's database session (a unit of work), closed when the request ends."""
    async with services.database.sessionmaker() as db:
        yield db


DbSession = Annotated[AsyncSession, Depends(get_db)]


async def get_client_info(request: Request, services: ServicesDep) -> ClientInfo:
    """The client as the audit trail and the rate limits see it: its address resolved through
    TRUSTED_PROXIES, so that a login session behind a proxy records the client's address, not the
    proxy's (a peer that is not an IP address is recorded as it is)."""
    peer = request.client.host if request.client else None
    address = ClientAddress(services.settings.trusted_proxies).address(peer, request.headers.getlist("x-forwarded-for"))
    return ClientInfo.of(user_agent=request.headers.get("user-agent"), ip_address=str(address) if address else peer)


ClientInfoDep = Annotated[ClientInfo, Depends(get_client_info)]
