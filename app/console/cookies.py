"""The console's refresh-token cookie: HttpOnly (no script reads it), SameSite=Strict (no other
site's page sends it), `Path` the session routes alone (no other request carries it), `Secure`
when PUBLIC_URL is https, and as long-lived as a refresh token."""

from __future__ import annotations

from fastapi import Request, Response

from app.config import Settings

COOKIE_NAME = "gatehouse_console_refresh"
SESSION_PATH = "/console/session"


def cookie_path(request: Request) -> str:
    """The session routes' path, under the root path the service is mounted at."""
    root: str = request.scope.get("root_path", "")
    return root.rstrip("/") + SESSION_PATH


def set_refresh_cookie(response: Response, *, request: Request, settings: Settings, refresh_token: str) -> None:
    response.set_cookie(
        COOKIE_NAME,
        refresh_token,
        max_age=settings.refresh_token_ttl_seconds,
        path=cookie_path(request),
        secure=_secure(settings, request),
        httponly=True,
        samesite="strict",
    )


def clear_refresh_cookie(response: Response, *, request: Request, settings: Settings) -> None:
    response.delete_cookie(
        COOKIE_NAME,
        path=cookie_path(request),
        secure=_secure(settings, request),
        httponly=True,
        samesite="strict",
    )


def refresh_token_of(request: Request) -> str | None:
    value = request.cookies.get(COOKIE_NAME)
    return value or None


def _secure(settings: Settings, request: Request) -> bool:
    """`Secure` when the service is reached over https: PUBLIC_URL says so, or, without it, the
    request itself came over https."""
    if settings.public_url:
        return settings.public_url.startswith("https://")
    return request.url.scheme == "https"
