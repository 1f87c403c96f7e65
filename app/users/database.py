"""fastapi-users' SQLAlchemy adapter, adapted to how Gatehouse stores emails."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import Depends
from fastapi_users import exceptions
from fastapi_users_db_sqlalchemy import SQLAlchemyUserDatabase
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.db.session import SessionDep
from app.users.models import User


class UserDatabase(SQLAlchemyUserDatabase[User, uuid.UUID]):
    async def get_by_email(self, email: str) -> User | None:
        if "\x00" in email:
            # No stored email holds a NUL (emails are validated), and PostgreSQL cannot even
            # compare text with one: a login typed with it simply finds no account.
            return None
        # Emails are stored lower-cased; comparing the column itself (not lower(column)) lets
        # the unique index answer instead of a scan of every account.
        statement = select(User).where(User.email == email.strip().lower())
        return await self._get_user(statement)

    async def create(self, create_dict: dict[str, Any]) -> User:
        try:
            return await super().create(create_dict)
        except IntegrityError as error:
            # Two registrations of one email raced past the look-up; the unique index decided.
            await self.session.rollback()
            raise exceptions.UserAlreadyExists() from error

    async def update(self, user: User, update_dict: dict[str, Any]) -> User:
        try:
            return await super().update(user, update_dict)
        except IntegrityError as error:
            await self.session.rollback()
            raise exceptions.UserAlreadyExists() from error


async def get_user_db(session: SessionDep) -> AsyncIterator[UserDatabase]:
    yield UserDatabase(session, User)


UserDatabaseDep = Annotated[UserDatabase, Depends(get_user_db)]
