"""Injected user services, and the loaders of the accounts a request acts on."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends

from app.core.errors import NotAuthenticated
from app.http.caller import LoggedInCaller
from app.http.rbac import UserManager
from app.http.services import DbSession, ServicesDep
from app.users.account_mail import AccountMail
from app.users.errors import UserNotFound
from app.users.models import User
from app.users.password_policy import PasswordPolicy
from app.users.schemas import AdminUserUpdate, UserUpdate
from app.users.service import UserService


async def get_user_service(db: DbSession, services: ServicesDep) -> UserService:
    mail = AccountMail.build(settings=services.settings, keys=services.keys, outbox=services.mail)
    return UserService(
        db=db, passwords=services.passwords, mail=mail, policy=PasswordPolicy.from_settings(services.settings)
    )


UserServiceDep = Annotated[UserService, Depends(get_user_service)]


async def admit_own_password_change(data: UserUpdate, services: ServicesDep) -> AsyncIterator[None]:
    """A new password, and the current one checked for a new email, take their place among the
    worker's password operations before the account is even read (`PasswordHasher.admission`):
    beyond the queue, 503 at once."""
    if data.password is None and data.email is None:
        yield
        return
    with services.passwords.admission():
        yield


async def admit_password_setting(data: AdminUserUpdate, services: ServicesDep) -> AsyncIterator[None]:
    """The same, for an admin setting a user's password."""
    if data.password is None:
        yield
        return
    with services.passwords.admission():
        yield


OwnPasswordAdmission = Annotated[None, Depends(admit_own_password_change)]
PasswordAdmission = Annotated[None, Depends(admit_password_setting)]


async def target_user(user_id: uuid.UUID, _: UserManager, users: UserServiceDep) -> User:
    """The user named by `{user_id}`; for those who manage users (the 403 comes before any look-up)."""
    user = await users.get(user_id=user_id)
    if user is None:
        raise UserNotFound()
    return user


TargetUser = Annotated[User, Depends(target_user)]


async def logged_in_user(caller: LoggedInCaller, users: UserServiceDep) -> User:
    """The account row of a caller who logged in (an API key is refused: 403)."""
    user = await users.get(user_id=caller.id)
    if user is None:  # deleted since the request was authenticated
        raise NotAuthenticated()
    return user


LoggedInUser = Annotated[User, Depends(logged_in_user)]
