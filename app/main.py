"""The Gatehouse application: `uvicorn app.main:app`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from app.api_keys.admin_router import router as admin_api_keys_router
from app.api_keys.authentication import ApiKeyAuthenticator
from app.api_keys.router import router as api_keys_router
from app.auth.authenticator import Authenticator
from app.auth.dependencies import get_caller
from app.auth.jwks import router as jwks_router
from app.auth.openapi import with_api_key_scheme
from app.auth.passwords import PasswordHasher
from app.auth.router import auth_rate_limits
from app.auth.router import router as auth_router
from app.auth.state import AnnounceAuthChanges, AuthState
from app.auth.tokens import AccessTokenCodec
from app.config import Settings, get_settings
from app.db.engine import create_database
from app.db.migrate import migrate
from app.errors import install_error_handlers
from app.health.router import router as health_router
from app.items.router import router as items_router
from app.ratelimit.limiter import RateLimits
from app.ratelimit.middleware import RATE_LIMIT_HEADERS, RateLimitHeadersMiddleware
from app.sessions.pruning import SessionPruner
from app.sessions.router import admin_router as admin_sessions_router
from app.sessions.router import router as sessions_router
from app.users.admin_router import router as admin_users_router
from app.users.bootstrap import ensure_first_admin
from app.users.notifications import AccountNotifier, LoggingNotifier
from app.users.router import router as users_router


def create_app(settings: Settings | None = None, *, notifier: AccountNotifier | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.rate_limits = RateLimits(settings, routes=auth_rate_limits(settings))
        database = create_database(settings)
        passwords = PasswordHasher(rounds=settings.password_bcrypt_rounds, threads=settings.password_hash_threads)
        app.state.settings = settings
        app.state.database = database
        app.state.passwords = passwords
        app.state.token_codec = codec = AccessTokenCodec(settings)
        app.state.auth_state = auth_state = AuthState(settings=settings, database=database)
        app.state.authenticator = authenticator = Authenticator(codec=codec, state=auth_state)
        app.state.api_keys = ApiKeyAuthenticator(settings=settings, authenticator=authenticator)
        app.state.notifier = notifier or LoggingNotifier()
        try:
            await migrate(database)
            await auth_state.start()
            await passwords.warm_up()
            await ensure_first_admin(database=database, settings=settings, passwords=passwords)
            async with SessionPruner(database):
                yield
        finally:
            await auth_state.stop()
            passwords.close()
            await database.dispose()

    app = FastAPI(
        title="Gatehouse",
        version="0.1.0",
        description="Accounts, OAuth2 password login with JWT, roles, API keys and rate limits.",
        lifespan=lifespan,
        swagger_ui_parameters={"persistAuthorization": True},
    )
    install_error_handlers(app)
    app.add_middleware(RateLimitHeadersMiddleware)
    if settings.redis_url:
        app.add_middleware(AnnounceAuthChanges)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["*"],
            allow_headers=["Authorization", "Content-Type", "X-API-Key"],
            expose_headers=RATE_LIMIT_HEADERS,
        )

    # Routes are matched in this order: the most requested first.
    routers = (
        health_router,
        users_router,
        items_router,
        sessions_router,
        api_keys_router,
        auth_router,
        jwks_router,
        admin_users_router,
        admin_sessions_router,
        admin_api_keys_router,
    )
    for router in routers:
        app.include_router(router)
    with_api_key_scheme(app, routers=routers, caller_dependency=get_caller)
    return app


app = create_app()
