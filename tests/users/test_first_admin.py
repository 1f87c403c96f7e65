"""FIRST_ADMIN_EMAIL / FIRST_ADMIN_PASSWORD: the admin created at start-up."""

from __future__ import annotations

import traceback
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from sqlalchemy import func, select

from app.config import ConfigurationError, Settings
from app.core.roles import Role
from app.main import create_app
from app.users.models import User

FIRST_ADMIN = {"first_admin_email": "Root@Example.com", "first_admin_password": "first-admin-password"}


def with_values(settings: Settings, **values: object) -> Settings:
    return Settings(_env_file=None, **{**settings.model_dump(), **values})  # type: ignore[call-arg]


@asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    async with LifespanManager(application, startup_timeout=60, shutdown_timeout=60):
        yield application


async def admins(application: FastAPI) -> list[User]:
    async with application.state.services.database.sessionmaker() as session:
        return list((await session.scalars(select(User).where(User.role == Role.ADMIN))).all())


async def user_count(application: FastAPI) -> int:
    async with application.state.services.database.sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(User)) or 0)


@pytest.mark.parametrize("settings_overrides", [FIRST_ADMIN])
async def test_first_admin_is_created_at_startup(app):
    created = await admins(app)

    assert [admin.email for admin in created] == ["root@example.com"]
    assert created[0].is_active
    assert created[0].is_verified


@pytest.mark.parametrize("settings_overrides", [FIRST_ADMIN])
async def test_first_admin_logs_in_and_reaches_admin_routes(client, accounts):
    token = await accounts.login("root@example.com", FIRST_ADMIN["first_admin_password"])

    response = await client.get("/admin/users", headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 200


@pytest.mark.parametrize("settings_overrides", [FIRST_ADMIN])
async def test_restarting_does_not_create_the_first_admin_twice(settings):
    async with running(settings):
        pass

    async with running(settings) as application:
        assert len(await admins(application)) == 1
        assert await user_count(application) == 1


@pytest.mark.parametrize("settings_overrides", [FIRST_ADMIN])
async def test_another_first_admin_email_is_not_created_once_an_admin_exists(settings):
    async with running(settings):
        pass

    async with running(with_values(settings, first_admin_email="other@example.com")) as application:
        assert [admin.email for admin in await admins(application)] == ["root@example.com"]


async def test_no_admin_is_created_without_the_settings(app):
    assert await admins(app) == []


@pytest.mark.parametrize("settings_overrides", [{"first_admin_email": "root@example.com"}])
async def test_no_admin_is_created_from_an_email_without_a_password(app):
    assert await admins(app) == []


async def test_a_weak_first_admin_password_stops_startup_with_a_clear_error(settings):
    weak = with_values(settings, first_admin_email="root@example.com", first_admin_password="Tiny-Pw-1")

    with pytest.raises(ConfigurationError, match="FIRST_ADMIN_PASSWORD") as refused:
        async with running(weak):
            pass

    assert "12 characters" in str(refused.value)
    assert "Tiny-Pw-1" not in str(refused.value)


@pytest.mark.parametrize(
    ("password", "reason"),
    [("Password1234", "PASSWORD_TOO_COMMON"), ("Root-2026-!!!!", "PASSWORD_CONTAINS_CONTEXT")],
)
async def test_a_common_or_context_first_admin_password_stops_startup_naming_the_rule(settings, password, reason):
    refused_settings = with_values(settings, first_admin_email="root@example.com", first_admin_password=password)

    with pytest.raises(ConfigurationError, match="FIRST_ADMIN_PASSWORD") as refused:
        async with running(refused_settings):
            pass

    assert reason in str(refused.value)
    assert password not in str(refused.value)


@pytest.mark.parametrize("settings_overrides", [{"password_min_length": 20}])
async def test_the_first_admin_password_follows_password_min_length(settings, settings_overrides):
    short = with_values(settings, first_admin_email="root@example.com", first_admin_password="nineteen-characters")

    with pytest.raises(ConfigurationError, match="at least 20 characters"):
        async with running(short):
            pass


async def test_an_overlong_first_admin_password_stops_startup_without_quoting_it(settings):
    password = "Quoted-Secret-" * 100
    overlong = with_values(settings, first_admin_email="root@example.com", first_admin_password=password)

    with pytest.raises(ConfigurationError, match="FIRST_ADMIN_PASSWORD") as refused:
        async with running(overlong):
            pass

    report = "".join(traceback.format_exception(refused.value))
    assert "password" in str(refused.value)
    assert "Quoted-Secret" not in report


async def test_an_invalid_first_admin_email_stops_startup(settings):
    invalid = with_values(settings, first_admin_email="not-an-email", first_admin_password="first-admin-password")

    with pytest.raises(ConfigurationError, match="FIRST_ADMIN_EMAIL"):
        async with running(invalid):
            pass


async def test_an_existing_non_admin_account_is_never_promoted_from_settings(settings):
    async with running(settings) as application:
        registered = await _register(application, "root@example.com", "someone-elses-password")
        assert registered == 201

    async with running(with_values(settings, **FIRST_ADMIN)) as application:
        assert await admins(application) == []


async def _register(application: FastAPI, email: str, password: str) -> int:
    transport = httpx.ASGITransport(app=application)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await client.post("/auth/register", json={"email": email, "password": password})
    return response.status_code
