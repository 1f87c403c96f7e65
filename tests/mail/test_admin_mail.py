"""`/admin/mail`: the outbox for admins, never a body; retrying a message."""

from __future__ import annotations

import uuid

import pytest

from app.mail.models import MailStatus
from tests.mail.support import outbox

FIELDS = {"id", "kind", "recipient", "status", "attempts", "last_error", "created_at", "sent_at", "next_attempt_at"}


@pytest.fixture
async def queued(app, client, user, smtp_server):
    smtp_server.stop()
    response = await client.post("/auth/forgot-password", json={"email": user.email})
    assert response.status_code == 202
    [row] = await outbox(app)
    return row


async def test_listing_mail_needs_a_login(client):
    response = await client.get("/admin/mail")

    assert response.status_code == 401


async def test_listing_mail_is_refused_to_a_user(client, user):
    response = await client.get("/admin/mail", headers=user.headers)

    assert response.status_code == 403


async def test_retrying_mail_is_refused_to_a_user(client, user, queued):
    response = await client.post(f"/admin/mail/{queued.id}/retry", headers=user.headers)

    assert response.status_code == 403


async def test_retrying_mail_needs_a_login(client, queued):
    response = await client.post(f"/admin/mail/{queued.id}/retry")

    assert response.status_code == 401


async def test_admins_list_messages_without_their_bodies(client, admin, user, queued):
    response = await client.get("/admin/mail", headers=admin.headers)

    assert response.status_code == 200
    body = response.json()
    assert body["total"] == 1
    assert body["limit"] == 50
    [item] = body["items"]
    assert set(item) == FIELDS
    assert item["kind"] == "reset_password"
    assert item["recipient"] == user.email
    assert item["status"] == "pending"
    assert item["attempts"] == 1
    assert item["last_error"]


async def test_admins_filter_messages_by_status(client, admin, queued):
    pending = await client.get("/admin/mail", params={"status": "pending"}, headers=admin.headers)
    sent = await client.get("/admin/mail", params={"status": "sent"}, headers=admin.headers)

    assert [item["id"] for item in pending.json()["items"]] == [str(queued.id)]
    assert sent.json() == {"items": [], "total": 0, "limit": 50, "offset": 0}


async def test_admins_page_through_messages(client, admin, user, queued):
    await client.post("/auth/forgot-password", json={"email": user.email})

    first = await client.get("/admin/mail", params={"limit": 1}, headers=admin.headers)
    second = await client.get("/admin/mail", params={"limit": 1, "offset": 1}, headers=admin.headers)

    assert first.json()["total"] == 2
    assert first.json()["items"][0]["id"] != second.json()["items"][0]["id"]


async def test_retrying_a_pending_message_sends_it_now(app, client, admin, user, queued, smtp_server):
    smtp_server.start()

    response = await client.post(f"/admin/mail/{queued.id}/retry", headers=admin.headers)

    assert response.status_code == 202
    assert len(smtp_server.inbox.to(user.email)) == 1
    [row] = await outbox(app)
    assert row.status is MailStatus.SENT


async def test_retrying_a_failed_message_gives_it_its_attempts_anew(app, client, admin, queued, settings):
    async with app.state.services.database.sessionmaker() as db:
        row = await db.get(type(queued), queued.id)
        row.status = MailStatus.FAILED
        row.attempts = settings.mail_max_attempts
        await db.commit()

    response = await client.post(f"/admin/mail/{queued.id}/retry", headers=admin.headers)

    assert response.status_code == 202
    [row] = await outbox(app)
    assert row.status is MailStatus.PENDING
    assert row.attempts == 1  # the retry ran at once (the server is still down)


async def test_retrying_a_sent_message_is_refused(app, client, admin, queued, smtp_server):
    smtp_server.start()
    await client.post(f"/admin/mail/{queued.id}/retry", headers=admin.headers)

    response = await client.post(f"/admin/mail/{queued.id}/retry", headers=admin.headers)

    assert response.status_code == 409
    assert response.json()["detail"] == "MAIL_ALREADY_SENT"


async def test_retrying_an_unknown_message_is_404(client, admin):
    response = await client.post(f"/admin/mail/{uuid.uuid4()}/retry", headers=admin.headers)

    assert response.status_code == 404
    assert response.json()["detail"] == "MAIL_NOT_FOUND"
