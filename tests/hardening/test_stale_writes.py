"""Account changes that interleave: two admin requests on one account, the first loaded before
the second committed. Deterministic (the interleaving is written out with two database
sessions, as two requests on two workers would run), in process, on the run's database.

Two interleavings:

* the other request commits after this one loaded the row and before its change: this suite found
  that `UserService._apply` (app/users/service.py) decided from the row the request's
  `target_user` dependency had loaded, and the ORM then wrote only the columns that differed from
  that stale copy: `role` without `is_superuser`, and a demotion of the last admin without the
  last-admin check. It now re-reads the row, locked, in the write transaction: these pass.
* the other request commits between that re-read and the UPDATE: it found that on SQLite nothing
  was locked by the re-read (pysqlite starts no transaction for a SELECT, and FOR UPDATE means
  nothing there), so the same two bugs remained. The write transaction now takes its locks before
  the re-read (`UserService._lock_for_change`): row locks on PostgreSQL, the write lock on SQLite;
  the other request waits for it, or answers 503 SERVICE_BUSY.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from app.audit.types import SYSTEM
from app.core.identity import Caller, Credential, UserSnapshot
from app.core.roles import Role
from app.users.errors import LastAdminError
from app.users.models import User
from app.users.models import columns as user_columns
from app.users.schemas import AdminUserCreate, AdminUserUpdate
from app.users.service import UserService


@pytest.fixture
def database(app):
    return app.state.services.database


@pytest.fixture
def passwords(app):
    return app.state.services.passwords


async def create(database, passwords, role: Role) -> User:
    async with database.sessionmaker() as db:
        data = AdminUserCreate(email=f"{role.value}-{uuid.uuid4().hex[:8]}@example.com", password="x" * 16, role=role)
        return await UserService(db=db, passwords=passwords).create(data=data, actor=SYSTEM)


async def change(database, passwords, actor: Caller, user_id: uuid.UUID, role: Role) -> None:
    """A whole PATCH /admin/users/{user_id} {"role": role}: load, then change."""
    async with database.sessionmaker() as db:
        target = await db.get(User, user_id)
        await UserService(db=db, passwords=passwords).update(
            target=target, data=AdminUserUpdate(role=role), actor=actor
        )


def caller_of(user: User) -> Caller:
    return Caller(user=UserSnapshot.of(user), role=user.role, credential=Credential.ACCESS_TOKEN)


async def test_a_role_change_loaded_before_another_commits_keeps_is_superuser_following_the_role(
    database, passwords, attacks
):
    admin = await create(database, passwords, Role.ADMIN)
    target = await create(database, passwords, Role.GUEST)
    attacks.add(2)
    async with database.sessionmaker() as first:
        stale = await first.get(User, target.id)  # request 1 loads the guest
        await first.commit()
        await change(database, passwords, caller_of(admin), target.id, Role.ADMIN)  # request 2 commits
        await UserService(db=first, passwords=passwords).update(  # request 1 goes on: make them a user
            target=stale, data=AdminUserUpdate(role=Role.USER), actor=caller_of(admin)
        )

    async with database.sessionmaker() as db:
        row = await db.get(User, target.id)
        assert (row.role, row.is_superuser) == (Role.USER, False)


async def test_a_demotion_loaded_before_a_promotion_still_keeps_an_active_admin(database, passwords, attacks):
    admin = await create(database, passwords, Role.ADMIN)
    other = await create(database, passwords, Role.USER)
    attacks.add(3)
    async with database.sessionmaker() as first:
        stale = await first.get(User, other.id)  # request 1 loads a user: no last-admin check needed
        await first.commit()
        await change(database, passwords, caller_of(admin), other.id, Role.ADMIN)  # request 2: promoted
        await change(database, passwords, caller_of(admin), admin.id, Role.USER)  # request 3: allowed
        with contextlib.suppress(LastAdminError):  # request 1 goes on: demote the only admin (refused: right)
            await UserService(db=first, passwords=passwords).update(
                target=stale, data=AdminUserUpdate(role=Role.GUEST), actor=caller_of(admin)
            )

    async with database.sessionmaker() as db:
        admins = await db.scalar(
            select(func.count())
            .select_from(User)
            .where(user_columns.role == Role.ADMIN.value, user_columns.is_active.is_(True))
        )
        assert admins >= 1


# --- the other request commits between the re-read and the write ----------------------------------


@pytest.fixture
def in_the_window(monkeypatch):
    """`in_the_window(service, work)`: run `work()` (other requests, to the end) when `service`
    has re-read the account and is about to write its change; if `work` waits for a lock that
    `service` holds, this request goes on and `work` finishes after it."""
    pending: list[asyncio.Future] = []
    original = UserService._column_values

    def arm(service: UserService, work) -> None:
        async def column_values(self, user, requested, *, hashed_password):
            if self is service and not pending:
                other = asyncio.ensure_future(work())
                pending.append(other)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(asyncio.shield(other), timeout=2)
            return await original(self, user, requested, hashed_password=hashed_password)

        monkeypatch.setattr(UserService, "_column_values", column_values)

    arm.pending = pending
    return arm


async def finish(request, pending) -> None:
    """Run the request to its end, then the other requests; a busy refusal (503) is a right answer."""
    try:
        with contextlib.suppress(OperationalError):
            await request
    finally:
        for other in pending:
            with contextlib.suppress(OperationalError):
                await other


async def test_a_role_change_committed_between_the_reread_and_the_write_keeps_is_superuser_following_the_role(
    database, passwords, in_the_window, attacks
):
    admin = await create(database, passwords, Role.ADMIN)
    target = await create(database, passwords, Role.GUEST)
    attacks.add(2)
    async with database.sessionmaker() as db:
        service = UserService(db=db, passwords=passwords)
        in_the_window(service, lambda: change(database, passwords, caller_of(admin), target.id, Role.ADMIN))
        row = await db.get(User, target.id)
        await finish(
            service.update(target=row, data=AdminUserUpdate(role=Role.USER), actor=caller_of(admin)),
            in_the_window.pending,
        )

    async with database.sessionmaker() as db:
        row = await db.get(User, target.id)
        assert row.is_superuser == (row.role is Role.ADMIN), (row.role, row.is_superuser)


async def test_a_demotion_whose_account_is_promoted_between_the_reread_and_the_write_keeps_an_active_admin(
    database, passwords, in_the_window, attacks
):
    admin = await create(database, passwords, Role.ADMIN)
    other = await create(database, passwords, Role.USER)
    attacks.add(3)

    async def promote_then_demote_the_first_admin() -> None:
        await change(database, passwords, caller_of(admin), other.id, Role.ADMIN)
        await change(database, passwords, caller_of(admin), admin.id, Role.USER)

    async with database.sessionmaker() as db:
        service = UserService(db=db, passwords=passwords)
        in_the_window(service, promote_then_demote_the_first_admin)
        row = await db.get(User, other.id)
        with contextlib.suppress(LastAdminError):  # the right answer
            await finish(
                service.update(target=row, data=AdminUserUpdate(role=Role.GUEST), actor=caller_of(admin)),
                in_the_window.pending,
            )

    async with database.sessionmaker() as db:
        admins = await db.scalar(
            select(func.count())
            .select_from(User)
            .where(user_columns.role == Role.ADMIN.value, user_columns.is_active.is_(True))
        )
        assert admins >= 1
