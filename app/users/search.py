"""The admin user list: filters, the search by part of the email, and a count that stays cheap.

A page is read newest first. How it is found depends on what the filters select:

* `email_contains` of 3 characters or more is answered by a trigram index (SQLite: the FTS5 table
  `users_email_fts`; PostgreSQL: the `pg_trgm` GIN index; migration 0010). The index is first
  asked once for the keys of at most COUNT_LIMIT + 1 matches. When there are no more than
  COUNT_LIMIT, those rows are read by key, sorted and counted (a few milliseconds, whatever the
  number of users); when there are more, matches are dense, and walking the `created_at` index
  while checking each email fills the page after about (offset + limit) x users / COUNT_LIMIT
  rows at most.
* 1 or 2 characters make no trigram, and finding them would mean reading every account: refused
  with 400 `QUERY_TOO_SHORT` (an empty or blank `q` is no search).
* `role` and `is_active` are served by the running totals and the `(role, is_active)` index, as
  before; `is_verified`, `mfa_enabled` and `locked` are checked row by row on that walk.

`total` is exact without `email_contains`, `is_verified`, `mfa_enabled` and `locked` (the running
totals in `user_counts`). With any of them the matches are counted up to COUNT_LIMIT: beyond it the
answer says `total: COUNT_LIMIT, total_exact: false` ("at least"), so a broad search costs no
more than a narrow one.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, column, func, literal_column, select, table, text
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import UnsupportedDatabase
from app.db.base import utcnow
from app.db.unmapped import USERS_EMAIL_FTS
from app.lockout.service import locked_account, locked_accounts
from app.users.errors import SearchTermTooShort
from app.users.models import User
from app.users.models import columns as user_columns

# Matches counted before `total` becomes "at least COUNT_LIMIT".
COUNT_LIMIT = 1_000
# Shorter parts of an email make no trigram, so no trigram index can find them.
MIN_INDEXED_LENGTH = 3


@dataclass(frozen=True, slots=True)
class Found:
    users: Sequence[User]
    total: int
    exact: bool


def search_term(email_contains: str | None) -> str | None:
    """The part of the email as stored emails spell it (lower case), or None for no search.
    Fewer than 3 characters (once trimmed) -> `SearchTermTooShort`."""
    if email_contains is None:
        return None
    term = unicodedata.normalize("NFC", email_contains.strip()).lower()
    if not term:
        return None
    if len(term) < MIN_INDEXED_LENGTH:
        raise SearchTermTooShort()
    return term


def row_filters(
    *, is_verified: bool | None, mfa_enabled: bool | None, locked: bool | None
) -> list[ColumnElement[bool]]:
    """The filters that no running total knows: checked on each row."""
    conditions: list[ColumnElement[bool]] = []
    if is_verified is not None:
        conditions.append(user_columns.is_verified.is_(is_verified))
    if mfa_enabled is not None:
        conditions.append(user_columns.mfa_enabled.is_(mfa_enabled))
    if locked is True:
        # Few accounts are locked at once: found through the lockouts, not row by row.
        conditions.append(user_columns.id.in_(locked_accounts(now=utcnow())))
    elif locked is False:
        conditions.append(~locked_account(user_columns.id, now=utcnow()))
    return conditions


def contains(term: str) -> ColumnElement[bool]:
    """`email LIKE '%term%'`, with the term's own `%`, `_` and `\\` taken literally."""
    return _like(user_columns.email, term)


def _like(expression: ColumnElement[str], term: str) -> ColumnElement[bool]:
    pattern = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return expression.like(f"%{pattern}%", escape="\\")


# SQLite's full-text index of emails (migration 0010), keyed by `users.rowid`.
_FTS = table(USERS_EMAIL_FTS, column("rowid"))


def _fts_match(term: str) -> ColumnElement[bool]:
    """FTS5: the rows whose email contains `term` (a quoted FTS5 string is matched as it is)."""
    phrase = '"' + term.replace('"', '""') + '"'
    return text(f"{USERS_EMAIL_FTS} MATCH :email_phrase").bindparams(email_phrase=phrase)  # type: ignore[return-value]


class UserSearch:
    """One listing: the page and its total, for conditions already built by the service."""

    def __init__(self, db: AsyncSession) -> None:
        self.db = db
        self.dialect = db.get_bind().dialect.name
        if self.dialect not in ("sqlite", "postgresql"):
            raise UnsupportedDatabase(self.dialect)

    async def find(
        self,
        *,
        conditions: list[ColumnElement[bool]],
        term: str | None,
        limit: int,
        offset: int,
        known_total: int | None,
    ) -> Found:
        """`known_total`: the exact total when the running totals give it (no row filter)."""
        if term is None:
            users = await self._page(conditions, limit=limit, offset=offset)
            if known_total is not None:
                return Found(users, known_total, exact=True)
            return await self._bounded(users, select(literal_column("1")).select_from(User).where(*conditions))
        matched = await self._matched_keys(term)
        if len(matched) <= COUNT_LIMIT:
            # Few matches: read them by key, sort them, count them (the index is read once).
            narrowed = [*conditions, contains(term), self._key().in_(matched)]
            users = await self._page(narrowed, limit=limit, offset=offset)
            total = await self._count(select(literal_column("1")).select_from(User).where(*narrowed))
            return Found(users, total, exact=True)
        # Many matches: walk created_at and check each email; count through the index.
        users = await self._page([*conditions, self._unindexed(term)], limit=limit, offset=offset)
        return await self._bounded(users, self._index_matches(term, conditions))

    def _key(self) -> ColumnElement[Any]:
        """The column the trigram index gives back: SQLite's rowid (the FTS5 table's), else the id."""
        if self.dialect == "sqlite":
            return literal_column("users.rowid")
        return user_columns.id

    async def _matched_keys(self, term: str) -> Sequence[Any]:
        """The keys of the users whose email contains `term`, from the index alone, at most
        COUNT_LIMIT + 1 of them (more means: too many to read this way)."""
        if self.dialect == "sqlite":
            keys = select(_FTS.c.rowid).where(_fts_match(term))
        else:
            keys = select(user_columns.id).where(contains(term))
        return (await self.db.scalars(keys.limit(COUNT_LIMIT + 1))).all()

    def _index_matches(self, term: str, conditions: Sequence[ColumnElement[bool]] = ()) -> Select[Any]:
        """The users whose email contains `term` and who meet `conditions`, one row each, read in
        the index's order, so that a LIMIT stops the reading early."""
        one: Select[Any] = select(literal_column("1"))
        if self.dialect == "sqlite":
            if not conditions:
                return one.select_from(_FTS).where(_fts_match(term))
            joined = _FTS.join(User.__table__, literal_column("users.rowid") == _FTS.c.rowid)
            return one.select_from(joined).where(_fts_match(term), contains(term), *conditions)
        return one.select_from(User).where(contains(term), *conditions)

    def _unindexed(self, term: str) -> ColumnElement[bool]:
        """The same test as `contains`, in a form no index serves (PostgreSQL's planner would
        otherwise read every match through the trigram index and sort them)."""
        if self.dialect == "postgresql":
            return _like(user_columns.email.concat(""), term)
        return contains(term)  # SQLite's LIKE uses no index anyway

    async def _page(self, conditions: list[ColumnElement[bool]], *, limit: int, offset: int) -> Sequence[User]:
        page = (
            select(User)
            .where(*conditions)
            .order_by(user_columns.created_at.desc(), user_columns.id)
            .limit(limit)
            .offset(offset)
        )
        return (await self.db.scalars(page)).all()

    async def _count(self, matches: Select[Any]) -> int:
        """How many rows `matches` selects, counting no further than COUNT_LIMIT + 1."""
        bounded = matches.limit(COUNT_LIMIT + 1).subquery()
        return int(await self.db.scalar(select(func.count()).select_from(bounded)) or 0)

    async def _bounded(self, users: Sequence[User], matches: Select[Any]) -> Found:
        total = await self._count(matches)
        return Found(users, min(total, COUNT_LIMIT), exact=total <= COUNT_LIMIT)
