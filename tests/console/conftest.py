"""The browser tests' service: a real Gatehouse process (`python -m app`) with a real SMTP server
(aiosmtpd, in this process) receiving its mail, and headless Chromium driving the console.

Chromium is Debian's (`apt-get install chromium`, which `.ci/run` does when it is missing); a
machine without it fails these tests, saying so, rather than skipping them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from scripts.servers.gatehouse import gatehouse
from scripts.servers.ports import free_port
from tests.backends import Databases
from tests.console.browser import CHROMIUM, BrowserPage, Service
from tests.factories import TEST_SECRET
from tests.mail.smtp import SmtpServer

ADMIN_EMAIL = "admin@example.com"
ADMIN_PASSWORD = "the-first-admin-password"
BROWSER_FIXTURES = frozenset({"console_service", "browser", "console"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if BROWSER_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.processes)
            item.add_marker(pytest.mark.xdist_group("processes"))


@pytest.fixture(scope="module")
def console_service(tmp_path_factory: pytest.TempPathFactory, databases: Databases) -> Iterator[Service]:
    workdir = tmp_path_factory.mktemp("console")
    smtp = SmtpServer()
    smtp.start()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    try:
        with databases.fresh(workdir, name="console.db", empty=True) as database_url:
            env = {
                "PATH": "/usr/bin:/bin",
                "DATABASE_URL": database_url,
                "SECRET_KEY": TEST_SECRET,
                "PASSWORD_BCRYPT_ROUNDS": "4",
                "PUBLIC_URL": url,
                "FIRST_ADMIN_EMAIL": ADMIN_EMAIL,
                "FIRST_ADMIN_PASSWORD": ADMIN_PASSWORD,
                "MAIL_BACKEND": "smtp",
                "SMTP_HOST": "127.0.0.1",
                "SMTP_PORT": str(smtp.port),
                "SMTP_SECURITY": "none",
                "SMTP_TIMEOUT_SECONDS": "5",
                "MAIL_FROM": "Gatehouse <no-reply@gatehouse.test>",
                "MAIL_POLL_SECONDS": "1",
                "LOGIN_RATE_LIMIT": "1000/minute",
                "MFA_RATE_LIMIT": "1000/minute",
                "RECOVERY_RATE_LIMIT": "1000/minute",
            }
            if os.environ.get("TEST_REDIS_URL"):
                env["REDIS_URL"] = os.environ["TEST_REDIS_URL"]
            process = gatehouse(Path(workdir), env, port=port)
            process.start()
            try:
                yield Service(
                    url=url, inbox=smtp.inbox, admin_email=ADMIN_EMAIL, admin_password=ADMIN_PASSWORD, smtp=smtp
                )
            finally:
                process.stop()
    finally:
        smtp.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    # Module-scoped: Playwright's synchronous client runs an event loop of its own in this thread
    # while it is open, and the suite's asyncio tests cannot run until it is closed again.
    if not CHROMIUM.exists():
        pytest.fail(f"the browser tests need Chromium at {CHROMIUM}: apt-get install chromium (.ci/run does it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def console(browser, console_service: Service) -> Iterator[BrowserPage]:
    """A page of a fresh browser context (no cookies), checked at the end of the test."""
    context = browser.new_context(viewport={"width": 1280, "height": 860}, locale="en-GB", timezone_id="UTC")
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=console_service.url)
    context.set_default_timeout(15_000)
    page = BrowserPage(page=context.new_page(), service=console_service)
    page.install()
    try:
        yield page
        page.check_clean()
    finally:
        context.close()
