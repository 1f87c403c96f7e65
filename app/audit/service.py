"""Reading the audit trail (newest first, by cursor) and pruning it past its retention.

A page is read from one end of one index range. A filter that names several index ranges (a type
prefix such as `login.` names several types; "my events" are those I am the actor of and those I
am the target of) reads each range's first page in one statement (`UNION ALL` of per-range
`ORDER BY ... LIMIT` subqueries) and merges them, so no filter sorts every matching event.

The order is (`occurred_at`, `id`), both descending; a cursor is the position of a page's last
event, so a page never repeats or skips events however many are recorded meanwhile.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import itertools
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, delete, literal, select, tuple_, union_all
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from app.audit.errors import AuditCursorInvalid, AuditFilterInvalid, AuditTypeUnknown
from app.audit.models import AuditEvent
from app.audit.types import EventType
from app.db.base import UTCDateTime
from app.db.engine import Database
from app.db.fastapi_users_db import GUID

PRUNE_BATCH = 5_000
KNOWN_TYPES = tuple(sorted(member.value for member in EventType))


def event_types(value: str) -> tuple[str, ...]:
    """The types a `type` filter names: one type, or every type of a prefix ending in `.`."""
    value = value.strip()
    if value.endswith("."):
        matching = tuple(known for known in KNOWN_TYPES if known.startswith(value))
    else:
        matching = (value,) if value in KNOWN_TYPES else ()
    if not matching:
        raise AuditTypeUnknown()
    return matching


def ip_filter(value: str) -> str:
    """An address as the trail stores it (`::ffff:1.2.3.4` is stored as `1.2.3.4`)."""
    try:
        address = ipaddress.ip_address(value.strip())
    except ValueError:
        raise AuditFilterInvalid("ip_address must be an IPv4 or IPv6 address.") from None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return str(address)


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def time_filter(value: datetime, name: str) -> datetime:
    """`since` or `until` in UTC (UTC when it carries no zone); one beyond the calendar in UTC -> 400."""
    try:
        return _aware(value)
    except OverflowError:
        raise AuditFilterInvalid(f"{name} is out of range once converted to UTC.") from None


@dataclass(frozen=True, slots=True)
class AuditFilter:
    types: tuple[str, ...] = ()
    actor_id: uuid.UUID | None = None
    target_user_id: uuid.UUID | None = None
    ip_address: str | None = None
    since: datetime | None = None  # inclusive
    until: datetime | None = None  # exclusive
    involving: uuid.UUID | None = None  # the user's own events: as actor or as target


@dataclass(frozen=True, slots=True)
class Position:
    occurred_at: datetime
    id: uuid.UUID


def encode_cursor(position: Position) -> str:
    raw = json.dumps({"t": position.occurred_at.isoformat(), "i": str(position.id)}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> Position:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = json.loads(raw)
        return Position(occurred_at=_aware(datetime.fromisoformat(data["t"])), id=uuid.UUID(data["i"]))
    except (binascii.Error, ValueError, TypeError, KeyError, OverflowError):
        raise AuditCursorInvalid() from None


@dataclass(frozen=True, slots=True)
class EventPage:
    events: Sequence[AuditEvent]
    next_cursor: str | None


class AuditService:
    def __init__(self, *, db: AsyncSession) -> None:
        self.db = db

    async def page(self, *, filters: AuditFilter, limit: int, cursor: str | None = None) -> EventPage:
        position = decode_cursor(cursor) if cursor else None
        common = self._common(filters, position)
        branches = self._branches(filters)
        wanted = limit + 1  # one more than the page: whether another page follows
        ordered = (AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
        if len(branches) == 1:
            statement = select(AuditEvent).where(*common, *branches[0]).order_by(*ordered).limit(wanted)
            found = list((await self.db.scalars(statement)).all())
        else:
            ranges = [
                select(AuditEvent).where(*common, *branch).order_by(*ordered).limit(wanted).subquery()
                for branch in branches
            ]
            merged = aliased(AuditEvent, union_all(*(select(part) for part in ranges)).subquery())
            rows = (await self.db.scalars(select(merged))).all()
            unique = {event.id: event for event in rows}  # an event may lie in two ranges
            found = sorted(unique.values(), key=lambda event: (event.occurred_at, event.id), reverse=True)[:wanted]
        page = found[:limit]
        next_cursor = encode_cursor(Position(page[-1].occurred_at, page[-1].id)) if len(found) > limit else None
        return EventPage(events=page, next_cursor=next_cursor)

    @staticmethod
    def _common(filters: AuditFilter, position: Position | None) -> list[ColumnElement[bool]]:
        conditions: list[ColumnElement[bool]] = []
        if filters.actor_id is not None:
            conditions.append(AuditEvent.actor_id == filters.actor_id)
        if filters.target_user_id is not None:
            conditions.append(AuditEvent.target_user_id == filters.target_user_id)
        if filters.ip_address is not None:
            conditions.append(AuditEvent.ip_address == filters.ip_address)
        if filters.since is not None:
            conditions.append(AuditEvent.occurred_at >= time_filter(filters.since, "since"))
        if filters.until is not None:
            conditions.append(AuditEvent.occurred_at < time_filter(filters.until, "until"))
        if position is not None:
            # A row value, which both databases read as one range of the (..., occurred_at, id) index.
            after = tuple_(literal(position.occurred_at, UTCDateTime()), literal(position.id, GUID()))
            conditions.append(tuple_(AuditEvent.occurred_at, AuditEvent.id) < after)
        return conditions

    @staticmethod
    def _branches(filters: AuditFilter) -> list[list[ColumnElement[bool]]]:
        """The index ranges to read: one per type named, times actor and target for `involving`."""
        by_type: list[list[ColumnElement[bool]]] = [[AuditEvent.type == name] for name in filters.types] or [[]]
        if filters.involving is None:
            return by_type
        by_role: list[list[ColumnElement[bool]]] = [
            [AuditEvent.actor_id == filters.involving],
            [AuditEvent.target_user_id == filters.involving],
        ]
        return [first + second for first, second in itertools.product(by_type, by_role)]


async def prune_events(database: Database, *, retention: timedelta, now: datetime) -> int:
    """Delete the events older than `retention`, a batch per transaction (no long write lock)."""
    cutoff = now - retention
    pruned = 0
    while True:
        async with database.sessionmaker() as db:
            batch = select(AuditEvent.id).where(AuditEvent.occurred_at < cutoff).limit(PRUNE_BATCH)
            result: Any = await db.execute(delete(AuditEvent).where(AuditEvent.id.in_(batch)))
            await db.commit()
        deleted: int = result.rowcount
        pruned += deleted
        if deleted < PRUNE_BATCH:
            return pruned
