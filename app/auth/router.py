"""`/auth/*`: fastapi-users' routes for login, logout, registration, password reset and
email verification, with Gatehouse's backend and schemas, and Gatehouse's own refresh and
revocation routes.

Login, registration and the two routes that send mail are rate-limited per client: the limits
are registered by route name (`auth_rate_limits`) and applied by the router's dependency, so
fastapi-users' routers are used as they are.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends

from app.auth.backend import auth_backend, fastapi_users
from app.auth.refresh import router as refresh_router
from app.config import Settings
from app.ratelimit.dependencies import enforce_rate_limit
from app.users.schemas import UserCreate, UserRead

# fastapi-users' route names.
LOGIN_ROUTE = f"auth:{auth_backend.name}.login"
REGISTER_ROUTE = "register:register"
FORGOT_PASSWORD_ROUTE = "reset:forgot_password"
REQUEST_VERIFY_ROUTE = "verify:request-token"

router = APIRouter(prefix="/auth", tags=["auth"], dependencies=[Depends(enforce_rate_limit)])
router.include_router(fastapi_users.get_auth_router(auth_backend), prefix="/jwt")
router.include_router(refresh_router, prefix="/jwt")
router.include_router(fastapi_users.get_register_router(UserRead, UserCreate))  # type: ignore[type-var]
router.include_router(fastapi_users.get_reset_password_router())
router.include_router(fastapi_users.get_verify_router(UserRead))  # type: ignore[type-var]


def auth_rate_limits(settings: Settings) -> dict[str, str]:
    """Route name -> per-client limit. Each route counts on its own."""
    return {
        LOGIN_ROUTE: settings.login_rate_limit,
        REGISTER_ROUTE: settings.register_rate_limit,
        FORGOT_PASSWORD_ROUTE: settings.recovery_rate_limit,
        REQUEST_VERIFY_ROUTE: settings.recovery_rate_limit,
    }
