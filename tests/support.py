"""Test helpers that are plain functions and classes (fixtures live in conftest.py)."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

import jwt

from app.api_keys.models import ApiKey
from app.config import Settings
from app.core.api_key_format import display_prefix, generate_key
from app.core.notifications import MailKind
from app.core.roles import Role
from app.core.secrets import SecretPurpose, derive_secret
from app.items.models import Item
from app.mail.models import MailStatus, OutboxMessage

OTHER_KEY = "not-the-server-key-" + "z" * 64


def access_token_key(settings: Settings) -> str:
    return derive_secret(settings.signing_secret(), SecretPurpose.ACCESS_TOKEN)


def access_claims(settings: Settings, user_id: uuid.UUID, **overrides: Any) -> dict[str, Any]:
    """Claims of a valid access token for `user_id`; `overrides` replace them (None removes one)."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "sub": str(user_id),
        "iat": now,
        "exp": now + 300,
        "jti": uuid.uuid4().hex,
    }
    for name, value in overrides.items():
        if value is None:
            claims.pop(name, None)
        else:
            claims[name] = value
    return claims


def forge_token(
    settings: Settings,
    user_id: uuid.UUID,
    *,
    key: str | None = None,
    algorithm: str = "HS256",
    typ: str | None = "at+jwt",
    **claim_overrides: Any,
) -> str:
    """A JWT written with PyJWT (not the service's codec), signed with the server's access-token
    key unless `key` says otherwise."""
    headers = {"typ": typ} if typ is not None else {}
    claims = access_claims(settings, user_id, **claim_overrides)
    if algorithm == "none":
        return jwt.encode(claims, None, algorithm="none", headers=headers)
    signing_key = key if key is not None else access_token_key(settings)
    return jwt.encode(claims, signing_key, algorithm=algorithm, headers=headers)


def session_id_of(access_token: str) -> str:
    """The `sid` (login session) an issued access token names; forged tokens need a live one."""
    return str(jwt.decode(access_token, options={"verify_signature": False})["sid"])


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass(frozen=True)
class HashCall:
    method: str
    thread_id: int
    thread_name: str
    loop_running: bool


class CryptContextSpy:
    """Wraps passlib's CryptContext and records, for every hash or verification, which thread ran
    it and whether an event loop was running there."""

    def __init__(self, context: Any) -> None:
        self._context = context
        self.calls: list[HashCall] = []
        self.loop_thread_id: int | None = None
        self._lock = threading.Lock()

    def _record(self, method: str) -> None:
        try:
            asyncio.get_running_loop()
            loop_running = True
        except RuntimeError:
            loop_running = False
        thread = threading.current_thread()
        with self._lock:
            self.calls.append(HashCall(method, thread.ident or 0, thread.name, loop_running))

    def hash(self, *args: Any, **kwargs: Any) -> Any:
        self._record("hash")
        return self._context.hash(*args, **kwargs)

    def verify_and_update(self, *args: Any, **kwargs: Any) -> Any:
        self._record("verify_and_update")
        return self._context.verify_and_update(*args, **kwargs)

    def verify(self, *args: Any, **kwargs: Any) -> Any:
        self._record("verify")
        return self._context.verify(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._context, name)

    def count(self, method: str) -> int:
        return sum(1 for call in self.calls if call.method == method)

    def assert_all_off_the_event_loop(self) -> None:
        assert self.calls, "no password was hashed or verified through the PasswordHasher"
        for call in self.calls:
            assert not call.loop_running, f"{call.method} ran with an event loop running on {call.thread_name}"
            assert call.thread_id != self.loop_thread_id, f"{call.method} ran on the event loop's thread"

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()


async def insert_item(app: Any, *, owner_id: uuid.UUID, title: str = "an item", description: str | None = None) -> Item:
    """An item written straight to the database (for owners whose role may not create one)."""
    async with app.state.services.database.sessionmaker() as session:
        item = Item(owner_id=owner_id, title=title, description=description)
        session.add(item)
        await session.commit()
        return item


async def insert_api_key(app: Any, *, owner_id: uuid.UUID, role: Role = Role.GUEST) -> ApiKey:
    """An API key row written straight to the database (for owners whose role may not create one)."""
    key = generate_key()
    async with app.state.services.database.sessionmaker() as session:
        row = ApiKey(
            user_id=owner_id,
            name="a key",
            prefix=display_prefix(key),
            key_hash=app.state.services.keys.hasher(SecretPurpose.API_KEY).digest(key),
            role=role,
        )
        session.add(row)
        await session.commit()
        return row


async def insert_failed_mail(app: Any, *, to: str) -> OutboxMessage:
    """A message that ran out of attempts, written straight to the outbox (nothing wakes the sender)."""
    mailer = app.state.services.mail
    async with app.state.services.database.sessionmaker() as session:
        parts = mailer.composer.render(MailKind.PASSWORD_CHANGED, to=to).parts()
        row = OutboxMessage(
            kind=MailKind.PASSWORD_CHANGED,
            recipient=to,
            status=MailStatus.FAILED,
            attempts=1,
            last_error="SMTPConnectError: refused",
            body=mailer.cipher.seal(parts),
        )
        session.add(row)
        await session.commit()
        return row


def fullwidth(text: str) -> str:
    """The fullwidth forms of ASCII letters and digits (U+FF01 onwards), which NFKC maps back."""
    return "".join(chr(ord(character) + 0xFEE0) for character in text)
