"""Helpers for the token lifecycle tests: logging in, refreshing, keys, and editing rows directly."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from fastapi import FastAPI
from sqlalchemy import select, update

from app.db.base import utcnow
from app.sessions.models import AuthSession, RefreshToken

REFRESH_PREFIX = "gatehouse_rt_"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def login(client: httpx.AsyncClient, email: str, password: str, **headers: str) -> dict[str, Any]:
    response = await client.post(
        "/auth/jwt/login", data={"username": email, "password": password}, headers=headers or None
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def refresh(client: httpx.AsyncClient, refresh_token: str, **headers: str) -> httpx.Response:
    return await client.post(
        "/auth/jwt/refresh",
        data={"grant_type": "refresh_token", "refresh_token": refresh_token},
        headers=headers or None,
    )


async def refreshed(client: httpx.AsyncClient, refresh_token: str) -> dict[str, Any]:
    response = await refresh(client, refresh_token)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def assert_invalid_grant(response: httpx.Response) -> None:
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "invalid_grant"


async def assert_access_refused(client: httpx.AsyncClient, access_token: str) -> None:
    response = await client.get("/users/me", headers=bearer(access_token))
    assert response.status_code == 401, response.text


async def eventually_refused(client: httpx.AsyncClient, access_token: str, *, within: float = 5.0) -> None:
    """Another worker learns of a revocation from the auth events it polls (every
    AUTH_EVENTS_POLL_SECONDS); wait for that, within a generous bound."""
    deadline = time.monotonic() + within
    while (await client.get("/users/me", headers=bearer(access_token))).status_code != 401:
        assert time.monotonic() < deadline, "the other worker still accepts the token"
        await asyncio.sleep(0.05)


async def assert_access_works(client: httpx.AsyncClient, access_token: str) -> None:
    response = await client.get("/users/me", headers=bearer(access_token))
    assert response.status_code == 200, response.text


async def sessions_of(app: FastAPI, user_id: uuid.UUID) -> list[AuthSession]:
    async with app.state.services.database.sessionmaker() as db:
        found = await db.scalars(select(AuthSession).where(AuthSession.user_id == user_id))
        return list(found.all())


async def tokens_of(app: FastAPI, session_id: uuid.UUID) -> list[RefreshToken]:
    async with app.state.services.database.sessionmaker() as db:
        found = await db.scalars(select(RefreshToken).where(RefreshToken.session_id == session_id))
        return list(found.all())


async def age_refresh_tokens(app: FastAPI, *, by: timedelta) -> None:
    """Move every refresh token's timestamps into the past, as if `by` had passed."""
    async with app.state.services.database.sessionmaker() as db:
        for token in (await db.scalars(select(RefreshToken))).all():
            token.created_at -= by
            token.expires_at -= by
            if token.used_at is not None:
                token.used_at -= by
        await db.commit()


async def set_session(app: FastAPI, session_id: uuid.UUID, **values: Any) -> None:
    async with app.state.services.database.sessionmaker() as db:
        await db.execute(update(AuthSession).where(AuthSession.id == session_id).values(**values))
        await db.commit()


def ago(**delta: float) -> datetime:
    return utcnow() - timedelta(**delta)


def write_private_key(path: Path, kind: str) -> Path:
    """A fresh unencrypted PEM private key: kind RS256 (RSA 2048), ES256 (P-256), or another
    for the refusal tests: RSA1024, P384."""
    key: Any
    if kind == "RS256":
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    elif kind == "RSA1024":
        key = rsa.generate_private_key(public_exponent=65537, key_size=1024)  # noqa: S505 (a weak key, for the test that refuses it)
    elif kind == "ES256":
        key = ec.generate_private_key(ec.SECP256R1())
    elif kind == "P384":
        key = ec.generate_private_key(ec.SECP384R1())
    else:
        raise ValueError(kind)
    path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return path


def public_pem(private_key_path: Path) -> bytes:
    key = serialization.load_pem_private_key(private_key_path.read_bytes(), password=None)
    return key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
