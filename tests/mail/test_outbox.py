"""The outbox against a real SMTP server: delivery, outages, restarts, concurrent senders."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from email.message import EmailMessage

import pytest
from asgi_lifespan import LifespanManager

from app.core.notifications import MailKind
from app.db.base import utcnow
from app.mail.backends import MailBackend
from app.mail.models import MailStatus, OutboxMessage
from app.mail.sender import MailSender
from app.main import create_app
from tests.factories import links_in
from tests.mail.smtp import SmtpServer
from tests.mail.support import outbox, set_rows

NEW_PASSWORD = "a-brand-new-password"


async def forgot(client, email: str) -> None:
    response = await client.post("/auth/forgot-password", json={"email": email})
    assert response.status_code == 202


async def test_a_reset_link_arrives_over_smtp_and_works_once(client, user, smtp_server: SmtpServer, accounts):
    await forgot(client, user.email)

    [message] = smtp_server.inbox.to(user.email)
    assert message["From"] == "Gatehouse <no-reply@gatehouse.test>"
    assert message.get_body(preferencelist=("html",)) is not None
    [(page, token)] = links_in(message)
    assert page == "reset-password"
    first = await client.post("/auth/reset-password", json={"token": token, "password": NEW_PASSWORD})
    second = await client.post("/auth/reset-password", json={"token": token, "password": "yet-another-password"})
    assert first.status_code == 200
    assert second.status_code == 400
    assert await accounts.login(user.email, NEW_PASSWORD)


async def test_a_sent_message_is_marked_sent_and_its_body_erased(app, client, user, smtp_server):
    await forgot(client, user.email)

    [row] = await outbox(app)
    assert row.status is MailStatus.SENT
    assert row.body is None
    assert row.attempts == 1
    assert row.sent_at is not None


async def test_a_queued_body_holds_no_readable_link(app, client, user, smtp_server):
    smtp_server.stop()
    await forgot(client, user.email)

    [row] = await outbox(app)
    assert row.body is not None
    assert b"reset-password" not in row.body
    assert b"token" not in row.body


async def test_smtp_down_keeps_the_message_pending_and_schedules_a_retry(app, client, user, smtp_server):
    smtp_server.stop()
    before = utcnow()

    await forgot(client, user.email)

    [row] = await outbox(app)
    assert row.status is MailStatus.PENDING
    assert row.attempts == 1
    assert row.last_error
    assert row.next_attempt_at >= before + timedelta(seconds=29)


async def test_smtp_back_delivers_the_message_once(app, client, user, smtp_server):
    smtp_server.stop()
    await forgot(client, user.email)
    smtp_server.start()

    await app.state.services.mail.deliver_due()  # not due yet: the backoff holds
    assert smtp_server.inbox.to(user.email) == []
    await set_rows(app, next_attempt_at=utcnow())
    await app.state.services.mail.deliver_due()
    await app.state.services.mail.deliver_due()

    assert len(smtp_server.inbox.to(user.email)) == 1
    [row] = await outbox(app)
    assert row.status is MailStatus.SENT
    assert row.attempts == 2


async def test_a_message_out_of_attempts_is_failed(app, client, user, smtp_server, settings):
    smtp_server.stop()
    await forgot(client, user.email)
    for _ in range(settings.mail_max_attempts):
        await set_rows(app, next_attempt_at=utcnow())
        await app.state.services.mail.deliver_due()

    [row] = await outbox(app)
    assert row.status is MailStatus.FAILED
    assert row.attempts == settings.mail_max_attempts
    assert "SMTP" in row.last_error or "Connect" in row.last_error


async def test_a_restarted_service_delivers_the_mail_left_pending(app, client, user, smtp_server, settings):
    smtp_server.stop()
    await forgot(client, user.email)
    smtp_server.start()
    await set_rows(app, next_attempt_at=utcnow())

    restarted = create_app(settings)
    async with LifespanManager(restarted, startup_timeout=60, shutdown_timeout=60):
        await restarted.state.services.mail.deliver_due()

    assert len(smtp_server.inbox.to(user.email)) == 1


async def test_two_senders_never_send_one_message_twice(app, user, smtp_server, settings):
    mailer = app.state.services.mail
    addresses = [f"reader-{index}@example.com" for index in range(30)]
    async with app.state.services.database.sessionmaker() as db:
        for address in addresses:
            mailer.enqueue(db, kind=MailKind.PASSWORD_CHANGED, to=address)
        await db.commit()

    other = create_app(settings)
    async with LifespanManager(other, startup_timeout=60, shutdown_timeout=60):
        await asyncio.gather(mailer.deliver_due(), other.state.services.mail.deliver_due(), mailer.deliver_due())

    received = sorted(str(message["To"]) for message in smtp_server.inbox.messages)
    assert received == sorted(addresses)


async def test_a_rolled_back_transaction_leaves_no_message(app, smtp_server):
    mailer = app.state.services.mail
    async with app.state.services.database.sessionmaker() as db:
        mailer.enqueue(db, kind=MailKind.PASSWORD_CHANGED, to="someone@example.com")
        await db.flush()
        await db.rollback()

    await mailer.deliver_due()

    assert await outbox(app) == []
    assert smtp_server.inbox.messages == []


class WorkerDied(BaseException):
    """The worker process ends here: nothing after this point of the delivery runs. (Not an
    `Exception`, which the sender would catch and record as a failed attempt.)"""


class DiesAfterSending:
    """A backend that hands the message to the server, then the worker dies before it can mark
    the message sent."""

    def __init__(self, backend: MailBackend) -> None:
        self.backend = backend

    async def send(self, message: EmailMessage) -> None:
        await self.backend.send(message)
        raise WorkerDied()


async def test_a_crash_between_sending_and_marking_sent_repeats_the_message_at_most_once(
    app, user, smtp_server, monkeypatch
):
    mailer = app.state.services.mail
    start = utcnow()
    async with app.state.services.database.sessionmaker() as db:
        mailer.enqueue(db, kind=MailKind.PASSWORD_CHANGED, to=user.email)
        # Due in ten minutes, so that only the senders this test drives, at their own clocks, see it.
        [queued] = [row for row in db.new if isinstance(row, OutboxMessage)]
        queued.next_attempt_at = start + timedelta(minutes=10)
        await db.commit()
    due = start + timedelta(minutes=11)
    crashing = MailSender(
        settings=app.state.services.settings,
        database=app.state.services.database,
        backend=DiesAfterSending(mailer.backend),
        cipher=mailer.cipher,
        clock=lambda: due,
    )

    with pytest.raises(WorkerDied):
        await crashing.deliver_due()

    assert len(smtp_server.inbox.to(user.email)) == 1  # the server has it
    [row] = await outbox(app)
    assert row.status is MailStatus.PENDING  # but it was never marked sent
    assert row.lease_until is not None

    # Another worker, while the dead one's lease still holds: nothing is sent again.
    monkeypatch.setattr(mailer.sender, "clock", lambda: due + crashing.lease - timedelta(seconds=1))
    assert await mailer.deliver_due() == 0
    assert len(smtp_server.inbox.to(user.email)) == 1

    # Once the lease has run out, the message is sent a second time, and marked sent.
    monkeypatch.setattr(mailer.sender, "clock", lambda: due + crashing.lease + timedelta(seconds=1))
    assert await mailer.deliver_due() == 1
    [row] = await outbox(app)
    assert row.status is MailStatus.SENT
    assert row.attempts == 2
    assert row.body is None

    # And never again, however much later.
    monkeypatch.setattr(mailer.sender, "clock", lambda: due + timedelta(days=1))
    assert await mailer.deliver_due() == 0
    assert len(smtp_server.inbox.to(user.email)) == 2
