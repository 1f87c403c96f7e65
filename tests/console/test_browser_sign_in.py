"""Signing in to the console in a real browser: with and without a second factor, keyboard only,
refusals as sentences, and the way out."""

from __future__ import annotations

import re

import pyotp
from playwright.sync_api import expect

from tests.console.setup_api import PASSWORD, create_user


def test_the_first_admin_signs_in_and_out(console):
    console.open("/")
    console.heading("Sign in")
    console.screenshot("sign-in")
    console.sign_in_fully(console.service.admin_email, console.service.admin_password)
    expect(console.page.locator("#nav")).to_contain_text(f"{console.service.admin_email} (admin)")
    console.check_no_readable_token()

    console.page.reload()  # the access token was in memory only: the cookie brings the session back
    console.heading("My account")

    console.sign_out()
    console.page.reload()
    console.heading("Sign in")
    assert console.page.context.cookies() == []


def test_a_wrong_password_is_a_sentence_and_no_session(console):
    console.allow(400, "/console/session")
    console.sign_in(console.service.admin_email, "not-the-right-password")

    console.says("Incorrect email or password.")
    console.heading("Sign in")
    assert console.page.context.cookies() == []


def test_sign_in_works_with_the_keyboard_alone(console):
    email = create_user(console.service, prefix="keyboard")
    console.open("/sign-in")
    page = console.page
    page.keyboard.press("Tab")  # the skip link first
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.name") == "email":
            break
    page.keyboard.type(email)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    console.heading("My account")


def test_a_page_that_needs_a_sign_in_sends_there_and_back(console):
    email = create_user(console.service, prefix="next")
    console.open("/account/sessions")
    console.heading("Sign in")
    assert "next=%2Faccount%2Fsessions" in console.page.url

    console.page.get_by_label("Email").fill(email)
    console.page.get_by_label("Password").fill(PASSWORD)
    console.page.get_by_role("button", name="Sign in").click()

    console.heading("My sessions")


def test_sign_in_with_a_second_factor_a_code_then_a_recovery_code(console):
    console.allow(403, "/console/session")  # MFA_REQUIRED: the password step's answer
    console.allow(400, "/console/session/mfa")
    email = create_user(console.service, prefix="mfa-login")
    console.sign_in_fully(email, PASSWORD)
    secret, codes = enrol(console)
    totp = pyotp.TOTP(secret)
    console.sign_out()

    console.sign_in(email, PASSWORD)
    expect(console.page.get_by_role("heading", name="Second factor")).to_be_visible()
    console.page.get_by_label("Code from your authenticator app").fill("000000")
    console.page.get_by_role("button", name="Continue").click()
    console.says("The code is wrong")  # the API's sentence
    console.page.get_by_label("Code from your authenticator app").fill(totp.at(time_next()))
    console.page.get_by_role("button", name="Continue").click()
    console.heading("My account")
    expect(console.page.locator("main")).to_contain_text("Second factor")
    console.sign_out()

    console.sign_in(email, PASSWORD)
    console.page.get_by_role("button", name="Use a recovery code instead").click()
    console.page.get_by_label("Recovery code").fill(codes[0])
    console.page.get_by_role("button", name="Continue").click()
    console.heading("My account")


def time_next() -> float:
    """A moment of the next TOTP step: the service accepts a code one step late or early, and
    never the same step twice, so the code that confirmed the factor cannot sign in again."""
    import time

    return time.time() + 30


def enrol(console) -> tuple[str, list[str]]:
    """Enrol an authenticator app on the second-factor page: (its secret, the recovery codes)."""
    console.nav("Second factor")
    console.heading("Second factor")
    console.page.get_by_role("button", name="Set up an authenticator app").click()
    expect(console.page.get_by_role("img", name="QR code to scan with your authenticator app")).to_be_visible()
    secret = console.page.locator("code[data-secret=totp]").inner_text()
    console.page.get_by_label("Code from the app").fill(pyotp.TOTP(secret).now())
    console.page.get_by_role("button", name="Confirm").click()
    expect(console.page.locator("ul.codes code")).to_have_count(10)
    return secret, console.page.locator("ul.codes code").all_inner_texts()


def test_429_and_503_say_when_to_try_again(console):
    """The API's 429 and 503 carry Retry-After, in seconds or as an HTTP date (their answers are
    tested in tests/console/test_session_routes.py); the page turns it into a sentence."""
    console.allow(429, "/console/session")
    console.allow(503, "/console/session")
    answers = iter(
        [
            (429, "30", "RATE_LIMITED", "Too many requests from your address."),
            (503, "Wed, 21 Oct 2065 07:28:00 GMT", "SERVICE_BUSY", "The service is busy."),
        ]
    )

    def refuse(route):
        status, retry_after, code, text = next(answers)
        route.fulfill(
            status=status,
            headers={"Retry-After": retry_after, "Content-Type": "application/json"},
            body=f'{{"detail": "{code}", "message": "{text}"}}',
        )

    console.page.route("**/console/session", refuse)
    console.sign_in(console.service.admin_email, console.service.admin_password)
    console.says("Too many requests from your address. Try again in 30 seconds.")
    console.page.get_by_role("button", name="Sign in").click()
    console.says(re.compile(r"The service is busy\. Try again after .+\."))
    console.page.unroute("**/console/session")
    console.page.get_by_role("button", name="Sign in").click()
    console.heading("My account")
