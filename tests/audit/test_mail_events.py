"""`mail.failed`: a message that runs out of attempts."""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from app.mail.backends import MailBackend
from tests.audit.support import one


class RefusingBackend:
    async def send(self, message: EmailMessage) -> None:
        raise ConnectionRefusedError("the relay refused the connection")


@pytest.fixture
def mail_backend() -> MailBackend:
    return RefusingBackend()


@pytest.mark.parametrize("settings_overrides", [{"mail_max_attempts": 1}])
async def test_a_message_out_of_attempts_is_mail_failed_by_system(app, client, user):
    response = await client.post("/auth/forgot-password", json={"email": user.email})
    assert response.status_code == 202
    await app.state.services.mail.deliver_due()

    event = await one(app, "mail.failed")
    assert event.actor_kind == "system"
    assert event.target_user_id == user.id
    assert event.details["kind"] == "reset_password"
    assert event.details["attempts"] == 1
