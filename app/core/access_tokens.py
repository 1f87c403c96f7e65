"""Access tokens: JWTs written and checked with python-jose.

An access token follows RFC 9068 where it fits: header `typ: at+jwt`; claims `iss`, `aud`, `sub`,
`iat`, `exp` and a unique `jti` (so one token can be revoked), plus `sid` when the token belongs
to a login session, `amr` (how its login authenticated) and `role` (the account's role when the
token was issued, for other services that verify tokens offline; Gatehouse itself reads the role
from its own state on every request, so a demotion applies to it at once). Decoding accepts only
the `at+jwt` type, the configured issuer and audience,
and a signature by one of the service's own keys with that key's own algorithm (`app.core.signing_keys`):
a reset-password or verification token, a token signed with another algorithm (`none` included)
or by another key is refused. With RS256/ES256 the header names the signing key in `kid`. The
times (`exp`, `iat`, `nbf`) must be numbers, and JWT_LEEWAY_SECONDS is the clock skew allowed on
each of them.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any

from jose import JWTError, jwt

from app.config import Settings
from app.core.errors import InvalidToken
from app.core.signing_keys import SigningKeys

ACCESS_TOKEN_TYPE = "at+jwt"
REQUIRED_CLAIMS = ("iss", "aud", "sub", "iat", "exp", "jti")
TIME_CLAIMS = ("exp", "iat", "nbf")


@dataclass(frozen=True, slots=True)
class AccessClaims:
    user_id: uuid.UUID
    token_id: str
    issued_at: int
    expires_at: int
    session_id: uuid.UUID | None
    # How the session's login was authenticated (RFC 8176): ("pwd",), ("pwd", "otp"), ("pwd", "mfa").
    amr: tuple[str, ...] = ()
    # The role at issue (informational: never what Gatehouse authorises with).
    role: str | None = None


@dataclass(frozen=True, slots=True)
class IssuedToken:
    token: str
    token_id: str
    expires_in: int


class AccessTokenCodec:
    def __init__(self, settings: Settings, keys: SigningKeys | None = None) -> None:
        self.keys = keys or SigningKeys.from_settings(settings)
        self.algorithm = self.keys.algorithm
        self.issuer = settings.jwt_issuer
        self.audience = settings.jwt_audience
        self.ttl_seconds = settings.access_token_ttl_seconds
        self._headers = {"typ": ACCESS_TOKEN_TYPE} | ({"kid": self.keys.kid} if self.keys.kid else {})
        self.leeway = settings.jwt_leeway_seconds
        self._options = {f"require_{claim}": True for claim in REQUIRED_CLAIMS} | {"leeway": self.leeway}

    def issue(
        self,
        *,
        user_id: uuid.UUID,
        session_id: uuid.UUID | None = None,
        amr: tuple[str, ...] = ("pwd",),
        role: str | None = None,
    ) -> IssuedToken:
        now = int(time.time())
        token_id = uuid.uuid4().hex
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": str(user_id),
            "iat": now,
            "exp": now + self.ttl_seconds,
            "jti": token_id,
            "amr": list(amr),
        }
        if session_id is not None:
            claims["sid"] = str(session_id)
        if role is not None:
            claims["role"] = role
        token = jwt.encode(claims, self.keys.signing_key, algorithm=self.algorithm, headers=self._headers)
        return IssuedToken(token=token, token_id=token_id, expires_in=self.ttl_seconds)

    def decode(self, token: str) -> AccessClaims:
        try:
            header = jwt.get_unverified_header(token)
            key = self.keys.find(kid=header.get("kid"), algorithm=header.get("alg"))
            if header.get("typ") != ACCESS_TOKEN_TYPE or key is None:
                raise InvalidToken()
            claims = jwt.decode(
                token,
                key.key,
                algorithms=[key.algorithm],
                audience=self.audience,
                issuer=self.issuer,
                options=self._options,
            )
            self._check_times(claims)
            session = claims.get("sid")
            amr = claims.get("amr", [])
            if not isinstance(amr, list) or not all(isinstance(method, str) for method in amr):
                raise InvalidToken()
            role = claims.get("role")
            if role is not None and not isinstance(role, str):
                raise InvalidToken()
            return AccessClaims(
                user_id=uuid.UUID(claims["sub"]),
                token_id=str(claims["jti"]),
                issued_at=int(claims["iat"]),
                expires_at=int(claims["exp"]),
                session_id=uuid.UUID(session) if session else None,
                amr=tuple(amr),
                role=role,
            )
        # OverflowError: a time of Infinity or 1e999; RecursionError: JSON nested thousands deep.
        except (JWTError, KeyError, ValueError, TypeError, AttributeError, OverflowError, RecursionError) as error:
            raise InvalidToken() from error

    def is_expired(self, claims: AccessClaims, *, now: float) -> bool:
        return claims.expires_at + self.leeway <= now

    def _check_times(self, claims: dict[str, Any]) -> None:
        """`exp`, `iat` and `nbf` are JSON numbers (RFC 7519 NumericDate), within the leeway: a
        token issued in the future, or not valid yet, is refused like an expired one."""
        now = time.time()
        for name in TIME_CLAIMS:
            value = claims.get(name)
            if name in claims and (isinstance(value, bool) or not isinstance(value, int | float)):
                raise InvalidToken()
        if claims["exp"] + self.leeway <= now or claims["iat"] - self.leeway > now:
            raise InvalidToken()
        if "nbf" in claims and claims["nbf"] - self.leeway > now:
            raise InvalidToken()
