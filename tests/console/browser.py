"""Driving the console in a real browser: Debian's Chromium, headless, through Playwright.

`BrowserPage` wraps one Playwright page of a fresh browser context. It blocks every request to
anywhere but the service (the console must work with no internet), records what the browser's
console reports, and at the end checks that nothing went wrong in the page and that no token was
left where a script could read it.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from playwright.sync_api import Page, expect

from tests.mail.smtp import Inbox, SmtpServer

# Assertions wait as long as actions do: two cores shared with the rest of the suite are slow.
expect.set_options(timeout=20_000)

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
FAILED_LOAD = re.compile(r"Failed to load resource: the server responded with a status of (\d{3})")
TOKEN_SHAPES = re.compile(r"gatehouse_rt_|gatehouse_mfa_|eyJ[A-Za-z0-9_-]{10,}\.")


@dataclass
class Service:
    url: str
    inbox: Inbox
    admin_email: str
    admin_password: str
    smtp: SmtpServer

    def mail_to(self, address: str, *, subject_part: str, timeout_s: float = 15) -> EmailMessage:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            for message in reversed(self.inbox.to(address)):
                if subject_part.lower() in str(message["Subject"]).lower():
                    return message
            time.sleep(0.1)
        raise AssertionError(f"no mail about {subject_part!r} reached {address} within {timeout_s}s")

    def link_in(self, message: EmailMessage, page: str) -> str:
        text = message.get_body(preferencelist=("plain",))
        assert text is not None
        found = re.search(rf"https?://\S+?/console/{page}\?token=[^\s\"<]+", text.get_content())
        assert found, f"no /console/{page} link in {message['Subject']!r}"
        assert found.group(0).startswith(self.url + "/console/"), found.group(0)
        return found.group(0)


@dataclass
class BrowserPage:
    page: Page
    service: Service
    errors: list[str] = field(default_factory=list)
    failed_loads: list[tuple[int, str]] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    allowed: set[tuple[int, str]] = field(default_factory=set)

    def install(self) -> None:
        self.page.on("console", self._on_console)
        self.page.on("pageerror", lambda error: self.errors.append(f"page error: {error}"))
        self.page.context.route("**/*", self._only_the_service)

    def _on_console(self, message: Any) -> None:
        if message.type != "error":
            return
        failed = FAILED_LOAD.search(message.text)
        if failed:
            path = urlsplit(message.location.get("url", "")).path
            self.failed_loads.append((int(failed.group(1)), path))
        else:
            self.errors.append(message.text)

    def _only_the_service(self, route: Any) -> None:
        host = urlsplit(route.request.url).hostname
        if host in LOCAL_HOSTS or route.request.url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            self.blocked.append(route.request.url)
            route.abort("internetdisconnected")

    def allow(self, status: int, path: str) -> None:
        """An API refusal this test provokes on purpose (the browser logs each failed request):
        `status` answered by `path` (a path of the service, e.g. /console/session)."""
        self.allowed.add((status, path))

    # --- navigation and forms -----------------------------------------------------------
    def open(self, path: str) -> None:
        self.page.goto(self.service.url + "/console" + path)
        self.page.wait_for_selector("main h1")

    def heading(self, text: str) -> None:
        expect(self.page.locator("main h1")).to_have_text(text)

    def sign_in(self, email: str, password: str) -> None:
        self.open("/sign-in")
        self.page.get_by_label("Email").fill(email)
        self.page.get_by_label("Password").fill(password)
        self.page.get_by_role("button", name="Sign in").click()

    def sign_in_fully(self, email: str, password: str) -> None:
        self.sign_in(email, password)
        self.heading("My account")

    def sign_out(self) -> None:
        self.page.get_by_role("button", name="Sign out").click()
        self.heading("Sign in")

    def sign_out_if_signed_in(self) -> None:
        if self.page.get_by_role("button", name="Sign out").count():
            self.sign_out()

    def mail_notice(self, address: str, subject_part: str) -> None:
        self.service.mail_to(address, subject_part=subject_part)

    def nav(self, name: str) -> None:
        self.page.get_by_role("navigation", name="Console").get_by_role("link", name=name, exact=True).click()

    def says(self, text: str | re.Pattern[str]) -> None:
        expect(self.page.locator("main .message").filter(has_text=text).first).to_be_visible()

    def section(self, title: str) -> Any:
        return self.page.locator("section.card").filter(has=self.page.get_by_role("heading", name=title, exact=True))

    def confirm(self, expected: str) -> None:
        dialog = self.page.locator("dialog[open]")
        expect(dialog).to_contain_text(expected)
        dialog.locator("button.danger").click()

    def screenshot(self, name: str) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)

    # --- what must hold at the end of every test -------------------------------------------
    def check_clean(self) -> None:
        assert not self.errors, f"the browser's console reported errors: {self.errors}"
        unexpected = [load for load in self.failed_loads if load not in self.allowed]
        assert not unexpected, f"requests failed that the test did not expect: {unexpected}"
        assert not self.blocked, f"the page tried to reach other hosts: {self.blocked}"
        self.check_no_readable_token()
        if self.on_console():
            shown = self.page.inner_text("body")
            assert not re.search(r"\b(null|undefined|NaN|\[object Object\])\b", shown), shown

    def on_console(self) -> bool:
        return self.page.url.startswith(self.service.url + "/console")

    def check_no_readable_token(self) -> None:
        if not self.page.url.startswith(self.service.url):
            return
        stored = self.page.evaluate(
            "() => JSON.stringify([Object.entries(localStorage), Object.entries(sessionStorage), document.cookie])"
        )
        assert stored == '[[],[],""]', f"something readable by scripts was stored: {stored}"
        for cookie in self.page.context.cookies():
            assert cookie["httpOnly"], f"a cookie scripts can read: {cookie['name']}"
            assert cookie["sameSite"] == "Strict", cookie
            assert cookie["path"] == "/console/session", cookie
        if self.on_console():  # (the API docs show example tokens)
            assert not TOKEN_SHAPES.search(self.page.content()), "a token is in the page's markup"
