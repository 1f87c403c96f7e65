"""The mail outbox at scrape time: messages pending and failed, counted in the database.

The figure is the database's, so it is the same whichever worker answers the scrape; it costs one
query on the outbox's (status, next_attempt_at) index per scrape, and nothing per request. A
database that does not answer leaves the figure out of that scrape rather than failing it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from sqlalchemy import func, select

from app.container import Services
from app.mail.models import MailStatus, OutboxMessage

logger = logging.getLogger(__name__)

COUNTED = (MailStatus.PENDING, MailStatus.FAILED)


async def outbox_figures(services: Services) -> Sequence[Metric]:
    statement = (
        select(OutboxMessage.status, func.count())
        .where(OutboxMessage.status.in_(COUNTED))
        .group_by(OutboxMessage.status)
    )
    try:
        async with services.database.sessionmaker() as db:
            rows = (await db.execute(statement)).all()
    except Exception:  # the database is down: the scrape still shows every other figure
        logger.warning("the mail outbox could not be counted for /metrics", exc_info=True)
        return []
    counts = dict.fromkeys(COUNTED, 0) | {MailStatus(status): count for status, count in rows}
    family = GaugeMetricFamily(
        "gatehouse_mail_outbox_messages", "Messages in the mail outbox, pending or failed.", labels=["status"]
    )
    for status, count in counts.items():
        family.add_metric([status.value], count)
    return [family]
