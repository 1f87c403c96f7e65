"""Mail tests run the service against a real SMTP server in the test process."""

from __future__ import annotations

import pytest

from tests.mail.smtp import SmtpServer


@pytest.fixture
def settings_overrides(request: pytest.FixtureRequest, smtp_server: SmtpServer) -> dict[str, object]:
    """The test server's settings, plus a test's own (`parametrize(..., indirect=True)`)."""
    return {**smtp_server.settings(), **getattr(request, "param", {})}


@pytest.fixture
def mail_backend() -> None:
    """None: the backend MAIL_BACKEND names, SMTP to the test server."""
    return None
