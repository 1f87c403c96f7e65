"""The shared services and the database session, as injected values."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from app.container import Services


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services  # the one place that knows where they live
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


async def get_db(services: ServicesDep) -> AsyncIterator[AsyncSession]:
    """The request's database session (a unit of work), closed when the request ends."""
    async with services.database.sessionmaker() as db:
        yield db


DbSession = Annotated[AsyncSession, Depends(get_db)]
