"""Every setting of the service, read once from the environment and `.env`.

Nothing else in the code reads `os.environ`: a module that needs a setting imports `get_settings()`.
"""

from __future__ import annotations

import os
import re
import secrets
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from limits import parse_many
from pydantic import Field, IPvAnyNetwork, SecretStr, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

DATA_DIR = Path("data")
DEFAULT_DATABASE_URL = f"sqlite+aiosqlite:///./{DATA_DIR}/gatehouse.db"
# Secrets that appear in our own examples and docs: refused in every environment, since anyone
# who read them could sign tokens.
EXAMPLE_SECRETS = frozenset({"change-me", "changeme", "secret", "change-me-to-a-long-random-string"})
MIN_SECRET_LENGTH = 32
# `iss` of access tokens when neither JWT_ISSUER nor PUBLIC_URL is set.
DEFAULT_ISSUER = "gatehouse"
# What the mail links start with when PUBLIC_URL is unset.
DEVELOPMENT_PUBLIC_URL = "http://localhost:8000"
# The roles of app.core.roles.Role (which imports this module), for MFA_REQUIRED_ROLES.
ROLE_NAMES = ("admin", "user", "guest")
GENERATE_SECRET = 'python -c "import secrets; print(secrets.token_urlsafe(48))"'
REDIS_SCHEMES = ("redis", "rediss", "unix")
REDIS_URL_FORM = "redis://host:6379/0 (rediss:// with TLS, unix:///path/to/redis.sock)"
_URL_PASSWORD = re.compile(r"(?P<head>://[^:/@]*):[^/]*@")  # up to the last @ of the authority


def masked_url(url: str) -> str:
    """The URL with the password it holds (`scheme://user:password@host`) replaced by `***`."""
    return _URL_PASSWORD.sub(lambda match: f"{match['head']}:***@", url)


class Environment(StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


class ConfigurationError(RuntimeError):
    """A setting makes the service unsafe or unable to start; the message says what to set."""


# The databases Gatehouse runs on, with their async drivers: the embedded default and the
# scale-out server. Its migrations (triggers) and upserts are written for exactly these.
SUPPORTED_DATABASES = {"sqlite": "aiosqlite", "postgresql": "asyncpg"}
SUPPORTED_DATABASE_URLS = "sqlite+aiosqlite:///path/to/file.db or postgresql+asyncpg://user:password@host:5432/name"


class UnsupportedDatabase(ConfigurationError):
    def __init__(self, database: str) -> None:
        super().__init__(f"Gatehouse does not run on {database}; set DATABASE_URL to {SUPPORTED_DATABASE_URLS}")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    environment: Environment = Environment.DEVELOPMENT
    database_url: str = DEFAULT_DATABASE_URL
    # Connections per worker process. A PostgreSQL deployment opens up to
    # instances x workers x (pool size + overflow) connections: keep that below max_connections.
    database_pool_size: int = Field(default=10, ge=1, le=500)
    database_max_overflow: int = Field(default=10, ge=0, le=500)
    database_pool_timeout_seconds: float = Field(default=10, gt=0, le=300)
    sqlite_busy_timeout_ms: int = Field(default=5000, ge=0)
    redis_url: str | None = None
    # How long start-up keeps trying to reach the database before refusing to start, in seconds
    # (containers often start before their database answers).
    startup_connect_timeout_seconds: float = Field(default=30, ge=0, le=3600)

    auth_cache_size: int = Field(default=100_000, ge=100, le=10_000_000)
    auth_cache_ttl_seconds: float = Field(default=300, gt=0, le=86_400)
    auth_events_poll_seconds: float = Field(default=0.5, gt=0, le=1)

    secret_key: SecretStr | None = None
    # HS256 signs with a key derived from SECRET_KEY; RS256/ES256 sign with JWT_PRIVATE_KEY_FILE
    # and publish the public keys at /.well-known/jwks.json (see app/core/signing_keys.py).
    jwt_algorithm: Literal["HS256", "RS256", "ES256"] = "HS256"
    jwt_private_key_file: Path | None = None
    jwt_retired_public_key_files: Annotated[list[Path], NoDecode] = Field(default_factory=list)
    # Unset: PUBLIC_URL when that is set (so `iss` names where the metadata is), else DEFAULT_ISSUER.
    jwt_issuer: str = ""
    jwt_audience: str = "gatehouse"
    # Clock skew allowed on `exp`, `iat` and `nbf` of access tokens (several instances, several clocks).
    jwt_leeway_seconds: int = Field(default=60, ge=0, le=600)
    access_token_ttl_seconds: int = Field(default=900, ge=10, le=86_400)
    refresh_token_ttl_seconds: int = Field(default=30 * 86_400, ge=60, le=366 * 86_400)
    refresh_token_reuse_grace_seconds: int = Field(default=10, ge=0, le=300)

    password_bcrypt_rounds: int = Field(default=12, ge=4, le=16)
    password_hash_threads: int = Field(default=0, ge=0, le=64)
    # Password operations (login, registration, password change and reset, admin creation) a
    # worker admits at once; beyond it they answer 503 SERVICE_BUSY at once. At the default cost,
    # two cores verify about 8 passwords a second, so 32 waiting is about four seconds of queue.
    password_hash_queue_limit: int = Field(default=32, ge=1, le=100_000)
    # Password lengths, in characters after NFKC normalisation (app/users/password_policy.py).
    # NIST SP 800-63B rev. 4 asks at least 15 where the password is the only factor, at least 8
    # with a second one, and a maximum of at least 64.
    password_min_length: int = Field(default=12, ge=8, le=1024)
    password_max_length: int = Field(default=256, ge=64, le=1024)

    @model_validator(mode="after")
    def _password_lengths_in_order(self) -> Settings:
        if self.password_min_length > self.password_max_length:
            raise ConfigurationError(
                f"PASSWORD_MIN_LENGTH ({self.password_min_length}) is above PASSWORD_MAX_LENGTH "
                f"({self.password_max_length}): no password could be set."
            )
        return self

    api_key_max_active_per_user: int = Field(default=100, ge=1, le=10_000)

    first_admin_email: str | None = None
    first_admin_password: SecretStr | None = None

    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)

    # The HTTP edge (app/http/limits.py, app/http/security_headers.py). Credentials across
    # origins (cookies, Authorization) are off unless CORS_ALLOW_CREDENTIALS says so, and never
    # with a wildcard origin. HSTS: only behind HTTPS, once every subdomain serves HTTPS too.
    cors_allow_credentials: bool = False
    max_request_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    hsts_seconds: int = Field(default=0, ge=0, le=2 * 366 * 86_400)

    # Logs (app/http/logs.py): one format for the service's and uvicorn's lines. LOG_FORMAT unset:
    # text in development, json in production.
    log_level: Literal["critical", "error", "warning", "info", "debug", "trace"] = "info"
    log_format: Literal["text", "json"] | None = None
    # GET /metrics (Prometheus); with METRICS_TOKEN it needs `Authorization: Bearer <token>`.
    metrics_enabled: bool = False
    metrics_token: SecretStr | None = None

    @field_validator("log_level", "log_format", mode="before")
    @classmethod
    def _lower_log_choice(cls, value: object, info: ValidationInfo) -> object:
        if isinstance(value, str):
            return value.strip().lower() or ("info" if info.field_name == "log_level" else None)
        return value

    @field_validator("metrics_token", mode="before")
    @classmethod
    def _blank_token_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @model_validator(mode="after")
    def _log_format_follows_environment(self) -> Settings:
        if self.log_format is None:
            self.log_format = "json" if self.environment is Environment.PRODUCTION else "text"
        return self

    @model_validator(mode="after")
    def _no_credentials_with_any_origin(self) -> Settings:
        if self.cors_allow_credentials and "*" in self.cors_origins:
            raise ConfigurationError(
                "CORS_ORIGINS=* with CORS_ALLOW_CREDENTIALS=true would let every website call the API "
                "as its visitors; list the origins in CORS_ORIGINS or set CORS_ALLOW_CREDENTIALS=false."
            )
        return self

    # Per-client rate limits (slowapi syntax: "5/minute", "10 per hour", "5/minute;100/day").
    login_rate_limit: str = "5/minute"
    register_rate_limit: str = "10/hour"
    recovery_rate_limit: str = "5/hour"  # forgot-password and request-verify-token
    # Unset: Redis when REDIS_URL is set (shared by every worker and instance), else memory://.
    rate_limit_storage_uri: str = ""
    trusted_proxies: Annotated[list[IPvAnyNetwork], NoDecode] = Field(default_factory=list)
    # Worker processes per instance (uvicorn and gunicorn read the same variable).
    web_concurrency: int = Field(default=1, ge=1)

    # Per-account lockout after consecutive failed password logins.
    login_max_failures: int = Field(default=10, ge=1, le=100)
    login_lockout_base_seconds: int = Field(default=60, ge=1)
    login_lockout_max_seconds: int = Field(default=3600, ge=1)

    # The second factor (TOTP and recovery codes, app/mfa).
    mfa_issuer: str = Field(default="Gatehouse", min_length=1, max_length=64)  # in the otpauth:// URI
    mfa_token_ttl_seconds: int = Field(default=300, ge=30, le=3600)
    mfa_rate_limit: str = "10/minute"  # POST /auth/jwt/mfa, per client
    # Roles that must have a second factor; their tokens without one only reach /users/me and its mfa.
    mfa_required_roles: Annotated[list[str], NoDecode] = Field(default_factory=list)

    @field_validator("mfa_rate_limit")
    @classmethod
    def _parse_mfa_rate_limit(cls, value: str) -> str:
        return cls._parse_rate_limit(value)

    @field_validator("mfa_required_roles", mode="before")
    @classmethod
    def _split_roles(cls, value: object) -> object:
        if isinstance(value, str):
            value = [part.strip().lower() for part in value.split(",") if part.strip()]
        if isinstance(value, list) and (unknown := [role for role in value if role not in ROLE_NAMES]):
            raise ValueError(f"unknown roles {unknown}; MFA_REQUIRED_ROLES takes {', '.join(ROLE_NAMES)}")
        return value

    # Mail (app/mail): how messages leave, where their links point, and which notices are sent.
    # MAIL_BACKEND has no default in production (`_mail_backend_chosen`).
    mail_backend: Literal["smtp", "console"] | None = None
    smtp_host: str = "localhost"
    smtp_port: int | None = Field(default=None, ge=1, le=65_535)  # unset: 587, 465 with tls, 25 with none
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_security: Literal["starttls", "tls", "none"] = "starttls"
    smtp_timeout_seconds: float = Field(default=30, gt=0, le=600)
    mail_from: str = "Gatehouse <no-reply@localhost>"
    mail_max_attempts: int = Field(default=8, ge=1, le=100)
    mail_templates_dir: Path | None = None
    mail_poll_seconds: float = Field(default=5, gt=0, le=300)
    # Where clients reach the service. Unset (development): the OAuth metadata takes each request's
    # own base URL, and the mail links DEVELOPMENT_PUBLIC_URL.
    public_url: str | None = None
    verify_email_url: str = ""  # unset: PUBLIC_URL + /console/verify?token={token}
    reset_password_url: str = ""  # unset: PUBLIC_URL + /console/reset-password?token={token}
    confirm_email_change_url: str = ""  # unset: PUBLIC_URL + /console/confirm-email?token={token}
    # The account flows that mail: verification at registration, verified-only login, reset links.
    send_verification_email: bool = True
    require_verified_email: bool = False
    reset_password_token_ttl_seconds: int = Field(default=3600, ge=60, le=7 * 86_400)
    # Security notices to the account's address (never a secret in them); each can be switched off.
    notify_password_changed: bool = True
    notify_password_reset: bool = True
    notify_email_changed: bool = True  # to the old address: a change was requested, then made
    notify_api_key_created: bool = True
    notify_account_deactivated: bool = True
    notify_account_reactivated: bool = True

    # The audit trail (app/audit): events older than this many days are deleted by the pruner.
    audit_retention_days: int = Field(default=365, ge=1, le=36_500)

    @field_validator("smtp_username", "mail_templates_dir", mode="before")
    @classmethod
    def _blank_mail_setting_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("mail_backend", "smtp_security", mode="before")
    @classmethod
    def _lower_mail_choice(cls, value: object) -> object:
        if isinstance(value, str):
            return value.strip().lower() or None
        return value

    @field_validator("database_url")
    @classmethod
    def _supported_database(cls, value: str) -> str:
        try:
            url = make_url(value)
        except ArgumentError as error:
            raise ValueError(f"this is not a database URL; write it like {SUPPORTED_DATABASE_URLS}") from error
        if SUPPORTED_DATABASES.get(url.get_backend_name()) != url.get_driver_name():
            raise ValueError(f"{url.drivername!r} is not supported; write it like {SUPPORTED_DATABASE_URLS}")
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, value: str | None) -> str | None:
        scheme, separator, _ = (value or "").partition("://")
        if value is not None and (not separator or scheme.lower() not in REDIS_SCHEMES):
            raise ValueError(f"this is not a Redis URL; write it like {REDIS_URL_FORM}")
        return value

    @field_validator("cors_origins", "trusted_proxies", "jwt_retired_public_key_files", mode="before")
    @classmethod
    def _split_comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("login_rate_limit", "register_rate_limit", "recovery_rate_limit")
    @classmethod
    def _parse_rate_limit(cls, value: str) -> str:
        try:
            items = parse_many(value)
        except ValueError as error:
            raise ValueError(
                "this is not a rate limit; write it like '5/minute', '10 per hour' or '5/minute;100/day'"
            ) from error
        if any(item.amount < 1 for item in items):
            raise ValueError("this allows no request at all; the amount must be at least 1, e.g. '5/minute'")
        return value

    @field_validator("rate_limit_storage_uri")
    @classmethod
    def _sync_storage_only(cls, value: str) -> str:
        value = value.strip()
        if value.startswith("async+"):
            raise ValueError("use the plain scheme (redis://, memory://): the rate limiter drives the storage itself")
        return value

    @field_validator("jwt_algorithm", mode="before")
    @classmethod
    def _upper_algorithm(cls, value: object) -> object:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("first_admin_email", "redis_url", "jwt_private_key_file", "public_url", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @model_validator(mode="after")
    def _rate_limits_follow_redis(self) -> Settings:
        # REDIS_URL is the one setting a scaled-out deployment needs: the counters go where the
        # rest of the shared state goes unless RATE_LIMIT_STORAGE_URI names another place.
        if not self.rate_limit_storage_uri:
            self.rate_limit_storage_uri = self.redis_url or "memory://"
        return self

    @model_validator(mode="after")
    def _lockout_bounds(self) -> Settings:
        if self.login_lockout_max_seconds < self.login_lockout_base_seconds:
            raise ValueError("LOGIN_LOCKOUT_MAX_SECONDS must be at least LOGIN_LOCKOUT_BASE_SECONDS")
        return self

    @model_validator(mode="after")
    def _signing_key_matches_algorithm(self) -> Settings:
        if self.jwt_algorithm == "HS256":
            if self.jwt_private_key_file is not None or self.jwt_retired_public_key_files:
                raise ConfigurationError(
                    "JWT_PRIVATE_KEY_FILE and JWT_RETIRED_PUBLIC_KEY_FILES are only used with "
                    "JWT_ALGORITHM=RS256 or ES256; set the algorithm or remove the key files."
                )
        elif self.jwt_private_key_file is None:
            raise ConfigurationError(
                f"JWT_ALGORITHM={self.jwt_algorithm} needs JWT_PRIVATE_KEY_FILE, the path of a PEM private key "
                "(RS256: openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:3072 -out jwt.pem; "
                "ES256: openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out jwt.pem)."
            )
        return self

    @model_validator(mode="after")
    def _refuse_example_secret(self) -> Settings:
        # In every environment: a published secret lets anyone sign tokens, development included.
        secret = self.secret_key.get_secret_value() if self.secret_key else ""
        if secret.lower() in EXAMPLE_SECRETS or "change-me" in secret.lower():
            raise ConfigurationError(
                "SECRET_KEY is an example value from .env.example or the docs, which anyone can read; "
                f"unset it in development or set your own, e.g. the output of: {GENERATE_SECRET}"
            )
        return self

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> Settings:
        if self.environment is not Environment.PRODUCTION:
            return self
        secret = self.secret_key.get_secret_value() if self.secret_key else ""
        if not secret:
            raise ConfigurationError(
                "SECRET_KEY is not set. In production set SECRET_KEY to a random string of at least "
                f"{MIN_SECRET_LENGTH} characters, e.g. the output of: {GENERATE_SECRET}"
            )
        if len(secret) < MIN_SECRET_LENGTH:
            raise ConfigurationError(
                f"SECRET_KEY is {len(secret)} characters long; production needs at least "
                f"{MIN_SECRET_LENGTH}. Generate one with: {GENERATE_SECRET}"
            )
        return self

    # Mail: checked after the secrets, so production names a missing SECRET_KEY first.
    @model_validator(mode="after")
    def _mail_backend_chosen(self) -> Settings:
        if self.mail_backend is None:
            if self.environment is Environment.PRODUCTION:
                raise ConfigurationError(
                    "MAIL_BACKEND is not set; in production set MAIL_BACKEND=smtp (with SMTP_HOST and MAIL_FROM) "
                    "or MAIL_BACKEND=console to write mail to the log."
                )
            self.mail_backend = "console"
        return self

    @model_validator(mode="after")
    def _public_url_and_issuer(self) -> Settings:
        if self.public_url is not None:
            public = self.public_url.strip().rstrip("/")
            if not public.startswith(("http://", "https://")):
                raise ConfigurationError(
                    f"PUBLIC_URL must be an absolute http(s) URL such as https://auth.example.com, not {public!r}"
                )
            self.public_url = public
        self.jwt_issuer = self.jwt_issuer.strip() or self.public_url or DEFAULT_ISSUER
        return self

    @model_validator(mode="after")
    def _mail_links(self) -> Settings:
        public = self.public_url or DEVELOPMENT_PUBLIC_URL
        defaults = {
            "verify_email_url": "/console/verify?token={token}",
            "reset_password_url": "/console/reset-password?token={token}",
            "confirm_email_change_url": "/console/confirm-email?token={token}",
        }
        for name, path in defaults.items():
            value = getattr(self, name).strip() or public + path
            if not value.startswith(("http://", "https://")) or "{token}" not in value:
                raise ConfigurationError(
                    f"{name.upper()} must be an absolute http(s) URL holding {{token}}, "
                    f"e.g. https://app.example.com/reset?token={{token}}"
                )
            setattr(self, name, value)
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def signing_secret(self) -> str:
        """The server secret for HMAC signatures (JWT HS256, API key hashes, token hashes)."""
        if self.secret_key is not None and self.secret_key.get_secret_value():
            return self.secret_key.get_secret_value()
        return _development_secret()


@lru_cache
def _development_secret() -> str:
    """A random secret kept under ./data, so development tokens survive restarts and agree across
    workers without anyone having to invent a secret. Production never gets here: it requires
    SECRET_KEY."""
    path = DATA_DIR / ".secret_key"
    if not path.exists():
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        draft = DATA_DIR / f".secret_key.{os.getpid()}"
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
        try:
            os.link(draft, path)  # atomic: when workers race, the first link wins and all read it
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return path.read_text().strip()


@lru_cache
def get_settings() -> Settings:
    return Settings()
