"""My account in a real browser: every action of its pages, and the mail links they cause."""

from __future__ import annotations

import re
from pathlib import Path

import pyotp
from playwright.sync_api import expect

from tests.console.setup_api import PASSWORD, create_user, needs_route, new_email
from tests.console.test_browser_sign_in import enrol


def test_profile_change_password_with_the_current_one(console):
    console.allow(400, "/users/me")
    email = create_user(console.service, prefix="password")
    console.sign_in_fully(email, PASSWORD)
    expect(console.section("Profile")).to_contain_text(email)
    console.screenshot("account")
    form = console.section("Change password")

    form.get_by_label("Current password").fill("not-my-password-at-all")
    form.get_by_label("New password").fill("a-brand-new-password")
    form.get_by_role("button", name="Change password").click()
    expect(form.locator(".message.error")).to_contain_text("current password")

    form.get_by_label("Current password").fill(PASSWORD)
    form.get_by_label("New password").fill("a-brand-new-password")
    form.get_by_role("button", name="Change password").click()
    expect(form.locator(".message.ok")).to_contain_text("Your password is changed")
    console.mail_notice(email, "password")

    console.sign_out()
    console.sign_in_fully(email, "a-brand-new-password")


def test_change_email_with_the_current_password_and_the_mailed_link(console):
    email = create_user(console.service, prefix="old")
    new = new_email("new")
    console.sign_in_fully(email, PASSWORD)
    form = console.section("Change email")
    form.get_by_label("New email").fill(new)
    form.get_by_label("Current password").fill(PASSWORD)
    form.get_by_role("button", name="Change email").click()
    expect(form.locator(".message.ok")).to_contain_text(f"A confirmation link was mailed to {new}")

    link = console.service.link_in(console.service.mail_to(new, subject_part="confirm"), "confirm-email")
    console.page.goto(link)

    console.heading("Confirm email change")
    console.says(f"Your account's email is now {new}.")
    assert "token=" not in console.page.url  # taken out of the address bar
    console.sign_out_if_signed_in()
    console.sign_in_fully(new, PASSWORD)


def test_the_verification_link_lands_on_a_working_page(console):
    email = create_user(console.service, prefix="unverified", verified=False)
    console.sign_in_fully(email, PASSWORD)
    expect(console.section("Profile")).to_contain_text("Email verified")
    console.section("Profile").get_by_role("button", name="Mail me a verification link").click()
    console.says("A verification link is on its way")

    link = console.service.link_in(console.service.mail_to(email, subject_part="verify"), "verify")
    console.page.goto(link)

    console.heading("Verify email")
    console.says(f"Thank you: {email} is verified.")


def test_a_used_or_bad_link_is_a_sentence(console):
    console.allow(400, "/auth/verify")
    console.allow(400, "/auth/confirm-email-change")
    console.open("/verify?token=not-a-token")
    console.says("invalid")
    console.open("/confirm-email?token=not-a-token")
    console.says("invalid")
    console.open("/reset-password")
    console.says("This page needs the link from the mail")


def test_forgot_password_then_the_reset_link(console):
    email = create_user(console.service, prefix="forgot")
    console.open("/sign-in")
    console.page.get_by_role("link", name="Forgot your password?").click()
    console.heading("Forgot password")
    console.page.get_by_label("Email").fill(email)
    console.page.get_by_role("button", name="Send the link").click()
    console.says("If an account has this email, a link is on its way.")

    link = console.service.link_in(console.service.mail_to(email, subject_part="reset"), "reset-password")
    console.page.goto(link)
    console.heading("Reset password")
    console.page.get_by_label("New password").fill("the-password-after-reset")
    console.page.get_by_role("button", name="Set the new password").click()
    console.says("Your password is changed")

    console.page.get_by_role("link", name="Sign in with it").click()
    console.sign_in_fully(email, "the-password-after-reset")


def test_sessions_current_marked_end_one_and_all_others(console, browser):
    email = create_user(console.service, prefix="sessions")
    others = [browser.new_context() for _ in range(3)]
    try:
        for context in others:  # three other devices
            page = context.new_page()
            page.goto(console.service.url + "/console/sign-in")
            page.get_by_label("Email").fill(email)
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            expect(page.locator("main h1")).to_have_text("My account")
        console.sign_in_fully(email, PASSWORD)
        console.nav("Sessions")
        console.heading("My sessions")
        rows = console.page.locator("main tbody tr")
        expect(rows).to_have_count(4)
        expect(console.page.locator("main tbody tr", has_text="this session")).to_have_count(1)
        console.screenshot("sessions")

        rows.filter(has_not_text="this session").first.get_by_role("button", name="End").click()
        expect(rows).to_have_count(3)
        console.page.get_by_role("button", name="End all other sessions").click()
        console.confirm("End 2 other sessions?")
        expect(rows).to_have_count(1)
        expect(rows.first).to_contain_text("this session")

        stranded = others[0].pages[0]
        stranded.reload()
        expect(stranded.locator("main h1")).to_have_text("Sign in")  # its session has ended
    finally:
        for context in others:
            context.close()


def test_api_keys_create_shown_once_copy_and_revoke(console):
    console.allow(403, "/api-keys")
    email = create_user(console.service, prefix="keys")
    console.sign_in_fully(email, PASSWORD)
    console.nav("API keys")
    console.heading("My API keys")
    create = console.section("Create a key")

    create.get_by_label("Name").fill("too powerful")
    create.get_by_label("Role cap").select_option("admin")
    create.get_by_role("button", name="Create key").click()
    expect(create.locator(".message.error")).to_contain_text("role")  # the API's role cap refusal

    create.get_by_label("Name").fill("nightly export")
    create.get_by_label("Role cap").select_option("guest")
    create.get_by_label("Expires (optional)").fill("2031-01-01T12:00")
    create.get_by_role("button", name="Create key").click()
    key = create.locator("code.secret").inner_text()
    assert re.fullmatch(r"gatehouse_[0-9A-Za-z]{49}", key), key
    create.get_by_role("button", name="Copy the key").click()
    expect(create).to_contain_text("Copied.")
    assert console.page.evaluate("navigator.clipboard.readText()") == key
    console.screenshot("api-keys")
    create.get_by_role("button", name="Done, refresh the list").click()

    expect(console.page.locator("main")).not_to_contain_text(key)  # shown once
    row = console.page.locator("main tbody tr", has_text="nightly export")
    expect(row).to_contain_text("guest")
    expect(row).to_contain_text("2031")
    row.get_by_role("button", name="Revoke").click()
    console.confirm("Revoke the key “nightly export”?")
    expect(console.page.locator("main tbody tr", has_text="nightly export")).to_contain_text("revoked")


def test_second_factor_enrol_download_codes_regenerate_disable(console, tmp_path: Path):
    console.allow(400, "/users/me/mfa")
    email = create_user(console.service, prefix="factor")
    console.sign_in_fully(email, PASSWORD)
    console.nav("Second factor")
    console.page.get_by_role("button", name="Set up an authenticator app").click()
    expect(console.page.get_by_role("img", name="QR code to scan with your authenticator app")).to_be_visible()
    console.screenshot("second-factor-enrol")
    console.page.goto(console.service.url + "/console/account")  # an enrolment left pending changes nothing
    console.heading("My account")
    secret, codes = enrol(console)
    with console.page.expect_download() as downloaded:
        console.page.get_by_role("button", name="Download the codes").click()
    saved = tmp_path / "codes.txt"
    downloaded.value.save_as(saved)
    assert saved.read_text().split() == codes
    console.page.get_by_role("button", name="Done").click()
    expect(console.section("Status")).to_contain_text("Recovery codes left10")

    regenerate = console.section("New recovery codes")
    regenerate.get_by_label("Code from the app").fill(pyotp.TOTP(secret).at(__import__("time").time() + 30))
    regenerate.get_by_role("button", name="Make new recovery codes").click()
    expect(regenerate.locator("ul.codes code")).to_have_count(10)
    new_codes = regenerate.locator("ul.codes code").all_inner_texts()
    assert not set(new_codes) & set(codes)

    off = console.section("Turn off")
    off.get_by_label("Code from the app, or a recovery code").fill(codes[0])  # an old code: refused
    off.get_by_label("Current password").fill(PASSWORD)
    off.get_by_role("button", name="Turn off the second factor").click()
    expect(off.locator(".message.error")).to_contain_text("wrong")
    off.get_by_label("Code from the app, or a recovery code").fill(new_codes[0])
    off.get_by_role("button", name="Turn off the second factor").click()
    expect(console.page.get_by_role("button", name="Set up an authenticator app")).to_be_visible()


def test_recent_security_events(console):
    needs_route(console.service, "GET", "/users/me/security-events")
    email = create_user(console.service, prefix="events")
    console.sign_in_fully(email, PASSWORD)
    console.nav("Security events")
    console.heading("Security events")
    expect(console.page.locator("main tbody")).to_contain_text("login.succeeded")
    console.screenshot("security-events")


def test_pages_are_labelled_and_fit_a_phone(console):
    email = create_user(console.service, prefix="phone")
    console.page.set_viewport_size({"width": 390, "height": 844})
    console.sign_in_fully(email, PASSWORD)
    for path in ("/account", "/account/sessions", "/account/api-keys", "/account/mfa"):
        console.open(path)
        console.page.wait_for_load_state("networkidle")
        unlabelled = console.page.evaluate(
            "() => [...document.querySelectorAll('input, select')].filter((c) => !c.labels || !c.labels.length)"
            ".map((c) => c.name)"
        )
        assert unlabelled == [], (path, unlabelled)
        overflow = console.page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, (path, overflow)
    console.open("/account")
    console.screenshot("account-phone")
