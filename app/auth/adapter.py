"""The fastapi-users adapter: the one module that imports fastapi-users.

fastapi-users provides the routes for registration, login (token issuing), password reset and
email verification. Gatehouse plugs its own pieces into the library's seams and keeps the rules
in its own services:

* `UserManager` hands every account change to `UserService` and the login to `PasswordLogin`, and
  translates their domain errors into the exceptions fastapi-users' routes answer for (so those
  routes keep the library's error bodies, e.g. `REGISTER_USER_ALREADY_EXISTS`).
* `AccessTokenStrategy` and `GatehouseBackend`: a login starts a login session and answers an
  access token, its `expires_in` and a refresh token, never cached. fastapi-users' own JWT strategy
  writes no `iat`/`jti`, has no refresh tokens and cannot revoke.
* Reset-password and verification tokens are fastapi-users' JWTs, signed with keys of their own
  (`SecretPurpose`), so neither can pass as the other or as an access token. A reset token carries
  an HMAC fingerprint of the password hash it was issued for: once used, it is spent.

Logout is Gatehouse's own route (`app.auth.router`): it acts on the caller already authenticated,
so fastapi-users' authenticator, which would authenticate the token a second time, is not used.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any

import jwt as pyjwt
from fastapi import APIRouter, Depends, Request, Response, status
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from fastapi.security import OAuth2PasswordRequestForm
from fastapi_users import BaseUserManager, FastAPIUsers, UUIDIDMixin, exceptions
from fastapi_users.authentication import AuthenticationBackend, BearerTransport, Strategy
from fastapi_users.jwt import decode_jwt, generate_jwt
from fastapi_users.openapi import OpenAPIResponseType
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.dependencies import ClientInfoDep
from app.audit.recorder import record_event
from app.audit.types import ANONYMOUS, EventType
from app.auth.errors import InvalidCredentials
from app.auth.login import PasswordLogin
from app.auth.schemas import TokenResponse
from app.container import Services
from app.core.errors import InvalidToken
from app.core.identity import ClientInfo
from app.core.metrics import REGISTRATIONS
from app.core.notifications import MailKind, Outbox
from app.core.secrets import SecretPurpose
from app.core.text import is_storable
from app.db.fastapi_users_db import SQLAlchemyUserDatabase
from app.http.caller import TOKEN_URL
from app.http.responses import NO_STORE
from app.http.services import DbSession, ServicesDep
from app.lockout.dependencies import LockoutServiceDep
from app.lockout.service import LockoutService
from app.mfa.dependencies import MfaServiceDep
from app.sessions.dependencies import SessionServiceDep
from app.sessions.service import RevokedReason, SessionService
from app.users.dependencies import UserServiceDep
from app.users.errors import EmailAlreadyUsed, PasswordRejected, UserAlreadyExists
from app.users.models import User
from app.users.schemas import UserCreate, UserRead
from app.users.service import UserService

logger = logging.getLogger(__name__)

BACKEND_NAME = "jwt"
# fastapi-users' route names (the rate limits are registered by name).
LOGIN_ROUTE = f"auth:{BACKEND_NAME}.login"
LOGOUT_ROUTE = f"auth:{BACKEND_NAME}.logout"
REGISTER_ROUTE = "register:register"
FORGOT_PASSWORD_ROUTE = "reset:forgot_password"
REQUEST_VERIFY_ROUTE = "verify:request-token"
RESET_PASSWORD_ROUTE = "reset:reset_password"
VERIFY_ROUTE = "verify:verify"

# How fastapi-users' routes appear in the OpenAPI document: (operationId, summary, description),
# in place of the library's route names (`auth:jwt.login`), which mean nothing to a client.
LIBRARY_OPERATIONS: dict[str, tuple[str, str, str]] = {
    LOGIN_ROUTE: (
        "login",
        "Log in with email and password",
        "OAuth2 password form (`username` is the email) -> an access token, its `expires_in` and a refresh "
        "token, `Cache-Control: no-store`. Wrong credentials, an unknown email or an inactive account -> 400 "
        "`invalid_grant` (`LOGIN_BAD_CREDENTIALS`); an account with a second factor -> 403 `MFA_REQUIRED` "
        "with an `mfa_token`. `POST /auth/token` with `grant_type=password` is the same login.",
    ),
    REGISTER_ROUTE: (
        "register",
        "Create an account",
        "JSON `email` and `password` -> 201 the new user, with the role `user`; a verification link is mailed "
        "(unless SEND_VERIFICATION_EMAIL=false).",
    ),
    FORGOT_PASSWORD_ROUTE: (
        "forgot_password",
        "Ask for a password reset link",
        "JSON `email` -> 202 whether or not an account has it; the account's address is mailed a reset link.",
    ),
    RESET_PASSWORD_ROUTE: (
        "reset_password",
        "Set a new password with a reset token",
        "JSON `token` (from the reset link) and `password` -> 200 the user; every session of the account ends.",
    ),
    REQUEST_VERIFY_ROUTE: (
        "request_verify_token",
        "Ask for a new verification link",
        "JSON `email` -> 202 whether or not an account has it; an unverified account is mailed a link.",
    ),
    VERIFY_ROUTE: (
        "verify",
        "Verify an email address",
        "JSON `token` (from the verification link) -> 200 the user, now verified.",
    ),
}


class UserDatabase(SQLAlchemyUserDatabase[User, uuid.UUID]):
    """fastapi-users' user look-ups, with Gatehouse's email rules."""

    def __init__(self, db: AsyncSession, users: UserService) -> None:
        super().__init__(db, User)
        self.users = users

    async def get_by_email(self, email: str) -> User | None:
        return await self.users.get_by_email(email=email)


class UserManager(UUIDIDMixin, BaseUserManager[User, uuid.UUID]):
    user_db: UserDatabase

    def __init__(
        self,
        *,
        services: Services,
        users: UserService,
        login: PasswordLogin,
        lockouts: LockoutService,
    ) -> None:
        super().__init__(UserDatabase(users.db, users), password_helper=services.passwords)
        self.users = users
        self.login = login
        self.lockouts = lockouts
        self.mail: Outbox = services.mail
        self.send_verification_email = services.settings.send_verification_email
        self.reset_password_token_lifetime_seconds = services.settings.reset_password_token_ttl_seconds
        self._reset_secret = services.keys.secret(SecretPurpose.RESET_PASSWORD_TOKEN)
        self.reset_password_token_secret = self._reset_secret
        self.verification_token_secret = services.keys.secret(SecretPurpose.VERIFY_EMAIL_TOKEN)

    async def create(self, user_create: Any, safe: bool = False, request: Request | None = None) -> User:
        """Registration (`safe`): an email and a password, nothing else."""
        assert isinstance(user_create, UserCreate)
        try:
            user = await self.users.register(
                email=user_create.email,
                password=user_create.password,
                on_created=self._queue_verification if self.send_verification_email else None,
            )
        except PasswordRejected as error:
            raise exceptions.InvalidPasswordException(reason=error.reason) from error
        except UserAlreadyExists as error:
            raise exceptions.UserAlreadyExists() from error
        REGISTRATIONS.inc()
        await self.on_after_register(user, request)
        return user

    def _queue_verification(self, user: User) -> None:
        """The verification mail of a new account, in the transaction that creates it."""
        self.mail.enqueue(
            self.users.db, kind=MailKind.VERIFY_EMAIL, to=user.email, token=self._verification_token(user)
        )

    def _verification_token(self, user: User) -> str:
        # fastapi-users' own verification token (what `request_verify` issues and `verify` reads).
        data = {"sub": str(user.id), "email": user.email, "aud": self.verification_token_audience}
        return generate_jwt(data, self.verification_token_secret, self.verification_token_lifetime_seconds)

    async def authenticate(self, credentials: OAuth2PasswordRequestForm) -> User:
        return await self.login.authenticate(email=credentials.username, password=credentials.password)

    async def _update(self, user: User, update_dict: dict[str, Any]) -> User:
        """What fastapi-users' verify and reset flows change: `is_verified`, or the password."""
        try:
            if set(update_dict) == {"is_verified"}:
                return await self.users.mark_verified(user=user)
            if set(update_dict) == {"password"}:
                return await self.users.set_password(user=user, password=update_dict["password"])
        except PasswordRejected as error:
            raise exceptions.InvalidPasswordException(reason=error.reason) from error
        except EmailAlreadyUsed as error:
            raise exceptions.UserAlreadyExists() from error
        raise ValueError(f"no account change of {sorted(update_dict)} goes through fastapi-users")

    # --- password reset: fastapi-users' token, bound to the password hash by an HMAC ------------
    async def forgot_password(self, user: User, request: Request | None = None) -> None:
        if not user.is_active:
            raise exceptions.UserInactive()
        token = generate_jwt(
            {
                "sub": str(user.id),
                "password_fgpt": self._password_fingerprint(user),
                "aud": self.reset_password_token_audience,
            },
            self.reset_password_token_secret,
            self.reset_password_token_lifetime_seconds,
        )
        await self.on_after_forgot_password(user, token, request)

    async def reset_password(self, token: str, password: str, request: Request | None = None) -> User:
        with self.users.passwords.admission():  # before the account is read: a full queue costs nothing
            return await self._reset_password(token, password, request)

    async def _reset_password(self, token: str, password: str, request: Request | None) -> User:
        if not is_storable(token):  # PyJWT cannot even encode it
            raise exceptions.InvalidResetPasswordToken()
        try:
            data = decode_jwt(token, self.reset_password_token_secret, [self.reset_password_token_audience])
            user = await self.get(self.parse_id(data["sub"]))
            fingerprint = str(data["password_fgpt"])
        except (pyjwt.PyJWTError, KeyError, exceptions.InvalidID, exceptions.UserNotExists) as error:
            raise exceptions.InvalidResetPasswordToken() from error
        # The fingerprint ties the token to the password it was issued for: once used, it is spent.
        if not hmac.compare_digest(fingerprint, self._password_fingerprint(user)):
            raise exceptions.InvalidResetPasswordToken()
        if not user.is_active:
            raise exceptions.UserInactive()
        updated = await self._update(user, {"password": password})
        await self.on_after_reset_password(user, request)
        return updated

    async def verify(self, token: str, request: Request | None = None) -> User:
        if not is_storable(token):  # PyJWT cannot even encode it
            raise exceptions.InvalidVerifyToken()
        return await super().verify(token, request)

    def _password_fingerprint(self, user: User) -> str:
        # fastapi-users bcrypt-hashes the stored hash for this; an HMAC is as binding and costs
        # microseconds instead of a bcrypt run on the event loop.
        key = self._reset_secret.encode()
        return hmac.new(key, user.hashed_password.encode(), hashlib.sha256).hexdigest()

    # --- hooks -----------------------------------------------------------------------------
    async def on_after_register(self, user: User, request: Request | None = None) -> None:
        logger.info("user registered id=%s", user.id)

    async def on_after_reset_password(self, user: User, request: Request | None = None) -> None:
        # Whoever reset the password holds the mailbox: their login is no longer locked.
        await self.lockouts.clear(email=user.email)

    # Neither request changes anything: the message is queued in a transaction of its own, after
    # the answer, so an email with an account is answered in the same time as one without.
    async def on_after_forgot_password(self, user: User, token: str, request: Request | None = None) -> None:
        minutes = max(1, self.reset_password_token_lifetime_seconds // 60)
        details = {"valid_for": f"{minutes} minute{'s' if minutes != 1 else ''}"}
        user_id = user.id

        def requested(db: AsyncSession) -> None:  # whoever asked is not authenticated
            record_event(db, EventType.PASSWORD_RESET_REQUESTED, actor=ANONYMOUS, target_user_id=user_id)

        self.mail.enqueue_soon(
            kind=MailKind.RESET_PASSWORD, to=user.email, token=token, details=details, also=requested
        )

    async def on_after_request_verify(self, user: User, token: str, request: Request | None = None) -> None:
        self.mail.enqueue_soon(kind=MailKind.VERIFY_EMAIL, to=user.email, token=token)


class AccessTokenStrategy(Strategy[User, uuid.UUID]):
    """fastapi-users' Strategy seam, over Gatehouse's login sessions and access tokens."""

    def __init__(self, *, services: Services, login: PasswordLogin, sessions: SessionService, client: ClientInfo):
        self.services = services
        self.login = login
        self.sessions = sessions
        self.client = client

    async def issue(self, user: User) -> TokenResponse:
        return await self.login.start_session(user=user, client=self.client)

    async def read_token(self, token: str | None, user_manager: BaseUserManager[User, uuid.UUID]) -> User | None:
        if token is None:
            return None
        try:
            caller = await self.services.authenticator.by_access_token(token)
        except InvalidToken:
            return None
        return await user_manager.user_db.get(caller.id)

    async def write_token(self, user: User) -> str:
        return (await self.issue(user)).access_token

    async def destroy_token(self, token: str, user: User) -> None:
        """End the token's session, so its access tokens and refresh tokens stop working."""
        session_id = self.services.authenticator.claims(token).session_id
        if session_id is not None:
            await self.sessions.end(session_id=session_id, reason=RevokedReason.LOGOUT)


# --- per-request construction ------------------------------------------------------------------
async def get_password_login(
    db: DbSession,
    services: ServicesDep,
    users: UserServiceDep,
    lockouts: LockoutServiceDep,
    sessions: SessionServiceDep,
    mfa: MfaServiceDep,
) -> PasswordLogin:
    return PasswordLogin(
        mfa=mfa,
        db=db,
        passwords=services.passwords,
        users=users,
        lockouts=lockouts,
        sessions=sessions,
        codec=services.access_tokens,
        require_verified=services.settings.require_verified_email,
    )


PasswordLoginDep = Annotated[PasswordLogin, Depends(get_password_login)]


async def get_user_manager(
    services: ServicesDep, users: UserServiceDep, login: PasswordLoginDep, lockouts: LockoutServiceDep
) -> AsyncIterator[UserManager]:
    yield UserManager(services=services, users=users, login=login, lockouts=lockouts)


async def get_access_token_strategy(
    services: ServicesDep, login: PasswordLoginDep, sessions: SessionServiceDep, client: ClientInfoDep
) -> AccessTokenStrategy:
    return AccessTokenStrategy(services=services, login=login, sessions=sessions, client=client)


class GatehouseBearerTransport(BearerTransport):
    @staticmethod
    def get_openapi_login_responses_success() -> OpenAPIResponseType:
        return {status.HTTP_200_OK: {"model": TokenResponse}}


class GatehouseBackend(AuthenticationBackend[User, uuid.UUID]):
    async def login(self, strategy: Strategy[User, uuid.UUID], user: User) -> Response:
        assert isinstance(strategy, AccessTokenStrategy)
        body = await strategy.issue(user)
        return JSONResponse(body.model_dump(), headers=NO_STORE)


UserManagerDep = Annotated[UserManager, Depends(get_user_manager)]
AccessTokenStrategyDep = Annotated[AccessTokenStrategy, Depends(get_access_token_strategy)]


async def password_grant(
    *, request: Request, manager: UserManager, strategy: AccessTokenStrategy, username: str, password: str
) -> Response:
    """`grant_type=password` of `POST /auth/token`: the steps of fastapi-users' login route (the
    manager authenticates, the backend answers), so both routes log in exactly alike."""
    credentials = OAuth2PasswordRequestForm(username=username, password=password)
    user = await manager.authenticate(credentials)
    if not user.is_active:  # (authenticate refuses inactive accounts itself; the route checks too)
        raise InvalidCredentials()
    response = await auth_backend.login(strategy, user)
    await manager.on_after_login(user, request, response)
    return response


auth_backend = GatehouseBackend(
    name=BACKEND_NAME, transport=GatehouseBearerTransport(tokenUrl=TOKEN_URL), get_strategy=get_access_token_strategy
)
fastapi_users = FastAPIUsers[User, uuid.UUID](get_user_manager, [auth_backend])


def fastapi_users_routers() -> tuple[APIRouter, APIRouter]:
    """fastapi-users' routes: (the password login under `/jwt`; registration, password reset and
    verification). fastapi-users' logout is left out: Gatehouse's own replaces it."""
    login = fastapi_users.get_auth_router(auth_backend)
    login.routes[:] = [
        route for route in login.routes if not (isinstance(route, APIRoute) and route.name == LOGOUT_ROUTE)
    ]
    parts = [
        fastapi_users.get_register_router(UserRead, UserCreate),  # type: ignore[type-var]
        fastapi_users.get_reset_password_router(),
        fastapi_users.get_verify_router(UserRead),  # type: ignore[type-var]
    ]
    for route in (route for router in (login, *parts) for route in router.routes):
        if isinstance(route, APIRoute) and route.name in LIBRARY_OPERATIONS:
            route.operation_id, route.summary, route.description = LIBRARY_OPERATIONS[route.name]
    accounts = APIRouter()
    for part in parts:
        accounts.include_router(part)
    return login, accounts
