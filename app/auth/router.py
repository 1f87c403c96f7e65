"""`/auth/*`: fastapi-users' routes for login, logout, registration, password reset and
email verification, with Gatehouse's backend and schemas, and Gatehouse's own refresh and
revocation routes."""

from __future__ import annotations

from fastapi import APIRouter

from app.auth.backend import auth_backend, fastapi_users
from app.auth.refresh import router as refresh_router
from app.users.schemas import UserCreate, UserRead

router = APIRouter(prefix="/auth", tags=["auth"])
router.include_router(fastapi_users.get_auth_router(auth_backend), prefix="/jwt")
router.include_router(refresh_router, prefix="/jwt")
router.include_router(fastapi_users.get_register_router(UserRead, UserCreate))  # type: ignore[type-var]
router.include_router(fastapi_users.get_reset_password_router())
router.include_router(fastapi_users.get_verify_router(UserRead))  # type: ignore[type-var]
