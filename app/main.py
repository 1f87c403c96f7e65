"""The Gatehouse application: `uvicorn app.main:app`.

`create_app` builds the shared services once per process (`app.container.Services`), wires the
domains' loaders into the auth state, and includes every domain's router.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from app.api_keys.admin_router import router as admin_api_keys_router
from app.api_keys.loaders import api_key_loader, api_key_use_recorder
from app.api_keys.router import router as api_keys_router
from app.audit.middleware import AuditOrigin
from app.audit.router import admin_router as admin_audit_router
from app.audit.router import me_router as security_events_router
from app.auth.jwks import router as jwks_router
from app.auth.metadata import router as metadata_router
from app.auth.router import auth_rate_limit_refusals, auth_rate_limits
from app.auth.router import router as auth_router
from app.authstate.authenticator import Authenticator
from app.authstate.state import AuthState, Loaders
from app.config import Settings, get_settings, masked_url
from app.console.pages import router as console_pages_router
from app.console.session_router import router as console_session_router
from app.container import Services
from app.core import metrics
from app.core.access_tokens import AccessTokenCodec
from app.core.common_passwords import shipped_common_passwords
from app.core.passwords import PasswordHasher
from app.core.secrets import KeyRing, SecretPurpose
from app.db.engine import create_database
from app.db.migrate import migrate
from app.db.reachable import database_address, wait_until_reachable
from app.health.router import router as health_router
from app.health.status import router as admin_status_router
from app.health.status import service_version
from app.http.access_log import install_access_log_filter
from app.http.caller import get_caller
from app.http.database_errors import install_database_error_handlers
from app.http.docs import DOCS_PAGES, install_docs
from app.http.errors import install_error_handlers
from app.http.limits import RequestLimits
from app.http.logs import configure_logging
from app.http.metrics import RequestMetrics, metrics_router
from app.http.middleware import AnnounceAuthChanges
from app.http.openapi import document_openapi, operation_id
from app.http.request_id import RequestIds
from app.http.security_headers import SecurityHeaders
from app.items.router import router as items_router
from app.mail.admin_router import router as admin_mail_router
from app.mail.backends import MailBackend
from app.mail.metrics import outbox_figures
from app.mail.service import Mailer
from app.mfa.admin_router import router as admin_mfa_router
from app.mfa.router import router as mfa_router
from app.ratelimit.limiter import RateLimits
from app.ratelimit.middleware import RATE_LIMIT_HEADERS, RateLimitHeadersMiddleware
from app.sessions.loaders import session_loader
from app.sessions.pruning import SessionPruner
from app.sessions.router import router as sessions_router
from app.users.admin_router import router as admin_users_router
from app.users.bootstrap import ensure_first_admin
from app.users.loaders import user_loader
from app.users.router import router as users_router

logger = logging.getLogger("app.main")


def build_services(settings: Settings, *, mail_backend: MailBackend | None = None) -> Services:
    """Every shared service, built once: keys are derived here, never per request."""
    database = create_database(settings)
    keys = KeyRing.from_settings(settings)
    access_tokens = AccessTokenCodec(settings)
    auth = AuthState(
        settings=settings,
        database=database,
        loaders=Loaders(user=user_loader(database), session=session_loader(database), api_key=api_key_loader(database)),
    )
    return Services(
        settings=settings,
        database=database,
        keys=keys,
        passwords=PasswordHasher(
            rounds=settings.password_bcrypt_rounds,
            threads=settings.password_hash_threads,
            queue_limit=settings.password_hash_queue_limit,
        ),
        access_tokens=access_tokens,
        auth=auth,
        authenticator=Authenticator(
            settings=settings,
            state=auth,
            codec=access_tokens,
            api_key_hasher=keys.hasher(SecretPurpose.API_KEY),
            record_api_key_use=api_key_use_recorder(database),
        ),
        rate_limits=RateLimits(settings, routes=auth_rate_limits(settings), on_refused=auth_rate_limit_refusals()),
        mail=Mailer(settings=settings, database=database, keys=keys, backend=mail_backend),
    )


def log_what_starts(services: Services) -> None:
    """What this worker runs on, in the start-up log (never a password)."""
    settings, database = services.settings, services.database
    scrape = "on at /metrics" + (" (token required)" if settings.metrics_token else "")
    logger.info(
        "starting: environment %s, database %s at %s, %s, metrics %s",
        settings.environment.value,
        database.engine.dialect.name,
        database_address(database),
        f"Redis at {masked_url(settings.redis_url)}" if settings.redis_url else "no Redis (state is per worker)",
        scrape if settings.metrics_enabled else "off",
    )


def create_app(settings: Settings | None = None, *, mail_backend: MailBackend | None = None) -> FastAPI:
    """`mail_backend` replaces the one MAIL_BACKEND names (tests capture mail with it)."""
    settings = settings or get_settings()
    configure_logging(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        services = build_services(settings, mail_backend=mail_backend)
        app.state.services = services
        mailer = services.mail
        assert isinstance(mailer, Mailer)
        try:
            await wait_until_reachable(services.database, settings)
            log_what_starts(services)
            await migrate(services.database)
            await services.auth.start()
            await services.passwords.warm_up()
            # The common-password list, read once per process before any request checks one.
            await asyncio.to_thread(shipped_common_passwords)
            await ensure_first_admin(database=services.database, settings=settings, passwords=services.passwords)
            retention = timedelta(days=settings.audit_retention_days)
            async with SessionPruner(services.database, audit_retention=retention), mailer:
                yield
        finally:
            await services.auth.stop()
            services.passwords.close()
            await services.database.dispose()
            metrics.mark_this_worker_dead()

    app = FastAPI(
        title="Gatehouse",
        version=service_version(),
        description="Accounts, OAuth2 password login with JWT, roles, API keys and rate limits.",
        lifespan=lifespan,
        # Swagger UI's persistAuthorization would keep the password and the tokens of Authorize in
        # the browser's localStorage, where any script of the origin reads them: off.
        swagger_ui_parameters={"persistAuthorization": False},
        # Served by install_docs, with Swagger UI's and ReDoc's files from the package.
        docs_url=None,
        redoc_url=None,
        generate_unique_id_function=operation_id,
    )
    install_error_handlers(app)
    install_database_error_handlers(app)
    app.add_middleware(RateLimitHeadersMiddleware)
    app.add_middleware(AuditOrigin, trusted_proxies=settings.trusted_proxies)
    if settings.redis_url:
        app.add_middleware(AnnounceAuthChanges)
    # The last added runs first: security headers on every answer (CORS preflights, 413/431 and
    # 500s included), CORS headers on the limits' refusals, limits before anything reads the body.
    app.add_middleware(RequestLimits, max_body_bytes=settings.max_request_body_bytes)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_credentials=settings.cors_allow_credentials,
            allow_methods=["*"],
            allow_headers=["Authorization", "Content-Type", "X-API-Key"],
            expose_headers=RATE_LIMIT_HEADERS,
        )
    app.add_middleware(
        SecurityHeaders,
        hsts_seconds=settings.hsts_seconds,
        docs_paths=DOCS_PAGES,
    )
    # Outermost: every request is timed and has its id before anything else runs, refusals included.
    app.add_middleware(RequestMetrics)
    app.add_middleware(RequestIds, trusted_proxies=settings.trusted_proxies)
    install_access_log_filter()

    # Routes are matched in this order: the most requested first.
    routers = (
        health_router,
        users_router,
        items_router,
        sessions_router,
        security_events_router,
        mfa_router,
        api_keys_router,
        auth_router,
        jwks_router,
        metadata_router,
        admin_users_router,
        admin_api_keys_router,
        admin_mfa_router,
        admin_mail_router,
        admin_audit_router,
        admin_status_router,
        console_session_router,
        console_pages_router,
    )
    for router in routers:
        app.include_router(router)
    if settings.metrics_enabled:
        app.include_router(metrics_router(settings, figures=[outbox_figures]))
    install_docs(app)
    document_openapi(app, caller_dependency=get_caller, public_url=settings.public_url)
    return app


app = create_app()
# What a worker has built by now (modules, routes, schemas: most of its objects) lives as long as
# the process. Without this, every full collection scans all of it again, a pause of tens of
# milliseconds on the event loop every few hundred requests.
gc.freeze()
