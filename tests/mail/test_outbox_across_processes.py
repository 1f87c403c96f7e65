"""Two Gatehouse processes on one PostgreSQL database share one outbox: every message is sent,
once, whichever process sends it (row claims `FOR UPDATE SKIP LOCKED` with a lease)."""

from __future__ import annotations

import asyncio
import re
import time
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.config import Settings
from app.core.notifications import MailKind
from app.core.secrets import KeyRing
from app.db.engine import Database, create_database
from app.mail.models import MailStatus, OutboxMessage
from app.mail.service import Mailer
from scripts.servers.databases import create_database as create_postgres_database
from scripts.servers.databases import drop_database
from scripts.servers.gatehouse import start_instances, stop_instances
from tests.factories import TEST_SECRET
from tests.mail.smtp import SmtpServer

MESSAGES = 100
# Each message takes the server this long to accept, so that one process's batch (20 messages) is
# still being sent when the other process polls: both take part.
ACCEPT_SECONDS = 0.05
# make_msgid's ids are "<time.pid.random@domain>": the pid says which process sent the message.
MESSAGE_ID = re.compile(r"<\d+\.(\d+)\.\d+@")

pytestmark = pytest.mark.processes


@pytest.fixture
async def postgres_url(postgres_server_url: str) -> AsyncIterator[str]:
    url = await create_postgres_database(postgres_server_url)
    try:
        yield url
    finally:
        await drop_database(url, server_url=postgres_server_url)


def sender_settings(database_url: str, smtp: SmtpServer) -> dict[str, str]:
    return {
        "PATH": "/usr/bin:/bin",
        "DATABASE_URL": database_url,
        "SECRET_KEY": TEST_SECRET,
        "PASSWORD_BCRYPT_ROUNDS": "4",
        "MAIL_BACKEND": "smtp",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp.port),
        "SMTP_SECURITY": "none",
        "SMTP_TIMEOUT_SECONDS": "5",
        "MAIL_FROM": "Gatehouse <no-reply@gatehouse.test>",
        "MAIL_POLL_SECONDS": "0.2",
    }


async def queue(database: Database, settings: Settings, addresses: list[str]) -> None:
    """Commit one message to each address in one transaction, as a third worker would: neither
    process is told, both find them when they poll."""
    mailer = Mailer(settings=settings, database=database, keys=KeyRing.from_settings(settings))
    async with database.sessionmaker() as db:
        for address in addresses:
            mailer.enqueue(db, kind=MailKind.PASSWORD_CHANGED, to=address)
        await db.commit()


async def wait_until_all_sent(database: Database, *, timeout_s: float = 120) -> Counter[MailStatus]:
    deadline = time.monotonic() + timeout_s
    while True:
        async with database.sessionmaker() as db:
            rows = await db.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status))
            statuses = Counter({status: count for status, count in rows})
        if statuses[MailStatus.SENT] == MESSAGES or time.monotonic() > deadline:
            return statuses
        await asyncio.sleep(0.2)


async def test_two_processes_on_postgresql_never_send_one_message_twice(postgres_url, tmp_path: Path):
    smtp = SmtpServer(accept_seconds=ACCEPT_SECONDS)
    smtp.start()
    instances = start_instances(2, workdir=tmp_path, env=sender_settings(postgres_url, smtp))  # they migrate
    settings = Settings(_env_file=None, database_url=postgres_url, secret_key=TEST_SECRET)  # type: ignore[call-arg]
    database = create_database(settings)
    try:
        addresses = [f"reader-{index}@example.com" for index in range(MESSAGES)]
        await queue(database, settings, addresses)

        statuses = await wait_until_all_sent(database)

        async with database.sessionmaker() as db:
            attempts = list(await db.scalars(select(OutboxMessage.attempts)))
    finally:
        await database.dispose()
        stop_instances(instances)
        smtp.stop()

    assert statuses == Counter({MailStatus.SENT: MESSAGES}), [instance.log_tail() for instance in instances]
    received = Counter(str(message["To"]) for message in smtp.inbox.messages)
    assert received == Counter(addresses)  # each once, none twice
    assert attempts == [1] * MESSAGES  # each claimed once
    senders = Counter(int(MESSAGE_ID.match(str(message["Message-ID"])).group(1)) for message in smtp.inbox.messages)  # type: ignore[union-attr]
    assert set(senders) == {instance.pid for instance in instances}, senders  # both processes sent
