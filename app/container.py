"""The shared services: built once at start-up (`app.main`), read by requests through one accessor
(`app.http.services.get_services`)."""

from __future__ import annotations

from dataclasses import dataclass

from app.authstate.authenticator import Authenticator
from app.authstate.state import AuthState
from app.config import Settings
from app.core.access_tokens import AccessTokenCodec
from app.core.notifications import Outbox
from app.core.passwords import PasswordHasher
from app.core.secrets import KeyRing
from app.db.engine import Database
from app.ratelimit.limiter import RateLimits


@dataclass(frozen=True, slots=True)
class Services:
    settings: Settings
    database: Database
    keys: KeyRing
    passwords: PasswordHasher
    access_tokens: AccessTokenCodec
    auth: AuthState
    authenticator: Authenticator
    rate_limits: RateLimits
    mail: Outbox
