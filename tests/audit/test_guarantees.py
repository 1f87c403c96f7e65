"""What the trail promises: nothing recorded that did not happen, no secrets, a bounded age."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from app.audit.models import AuditEvent
from app.audit.recorder import record_event
from app.audit.types import SYSTEM, EventType
from app.db.base import utcnow
from app.sessions.pruning import prune_expired
from tests.audit.support import events
from tests.factories import DEFAULT_PASSWORD


async def test_a_refused_change_records_nothing(app, client, admin):
    """Demoting the last admin is refused inside its transaction: no event of it remains."""
    response = await client.patch(f"/admin/users/{admin.id}", json={"role": "user"}, headers=admin.headers)
    assert response.status_code == 409
    assert response.json()["detail"] == "LAST_ADMIN"

    assert await events(app, "user.") == []


async def test_a_registration_refused_for_a_taken_email_records_nothing(app, client, user):
    response = await client.post("/auth/register", json={"email": user.email, "password": DEFAULT_PASSWORD})
    assert response.status_code == 400

    assert await events(app, "user.registered") == []


async def test_an_event_and_its_change_roll_back_together(app):
    async with app.state.services.database.sessionmaker() as db:
        record_event(db, EventType.USER_UNLOCKED, actor=SYSTEM)
        await db.rollback()

    assert await events(app) == []


@pytest.mark.parametrize("name", ["password", "refresh_token", "key", "recovery_code", "otp", "client_secret"])
def test_details_naming_a_secret_are_refused(name):
    with pytest.raises(ValueError, match="never hold secrets"):
        record_event(None, EventType.LOGOUT, actor=SYSTEM, details={name: "x"})  # type: ignore[arg-type]


async def age(app, days: int) -> None:
    async with app.state.services.database.sessionmaker() as db:
        await db.execute(update(AuditEvent).values(occurred_at=utcnow() - timedelta(days=days)))
        await db.commit()


async def count(app) -> int:
    async with app.state.services.database.sessionmaker() as db:
        return int(await db.scalar(select(func.count()).select_from(AuditEvent)) or 0)


async def test_events_past_the_retention_are_pruned_and_younger_ones_kept(app, user):
    await age(app, 40)
    async with app.state.services.database.sessionmaker() as db:
        record_event(db, EventType.LOGOUT, actor=SYSTEM)
        await db.commit()

    kept = await prune_expired(app.state.services.database, audit_retention=timedelta(days=41))
    assert kept.audit_events == 0 and await count(app) == 2
    pruned = await prune_expired(app.state.services.database, audit_retention=timedelta(days=30))
    assert pruned.audit_events == 1
    assert [event.type for event in await events(app)] == ["logout"]


async def test_the_default_retention_is_365_days(app, settings, user):
    assert settings.audit_retention_days == 365
    await age(app, 364)
    assert (await prune_expired(app.state.services.database)).audit_events == 0
    await age(app, 366)
    assert (await prune_expired(app.state.services.database)).audit_events == 1


async def test_the_service_prunes_with_audit_retention_days(app, user, other_worker):
    """A worker's pruner (its first round runs at start-up) reads AUDIT_RETENTION_DAYS."""
    await age(app, 8)
    async with other_worker(audit_retention_days=10):
        assert await count(app) == 1
    async with other_worker(audit_retention_days=7):
        assert await count(app) == 0


async def test_pruning_deletes_in_batches(app, monkeypatch):
    monkeypatch.setattr("app.audit.service.PRUNE_BATCH", 3)
    async with app.state.services.database.sessionmaker() as db:
        for _ in range(7):
            record_event(db, EventType.LOGOUT, actor=SYSTEM)
        await db.commit()
    await age(app, 400)

    assert (await prune_expired(app.state.services.database)).audit_events == 7
    assert await count(app) == 0
