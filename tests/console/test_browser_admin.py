"""The admin pages in a real browser: users (search, filters, paging, a user's page and every
action on it, creation), every API key, the mail outbox, the status, the audit log; and the
refusals: the last admin, and everyone who is not an admin."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pyotp
import pytest
from playwright.sync_api import expect

from tests.console.setup_api import PASSWORD, admin_client, create_user, needs_route, serves, user_id


def fact(console, name: str):
    return console.page.locator("dl.facts dt", has_text=name).first.locator("xpath=following-sibling::dd[1]")


@contextmanager
def user_login(service, email: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=service.url, timeout=30, headers={"User-Agent": "nightly-script/1.0"}) as client:
        login = client.post("/auth/jwt/login", data={"username": email, "password": PASSWORD})
        assert login.status_code == 200, login.text
        client.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
        yield client


@pytest.fixture
def admin(console):
    if not serves(console.service, "GET", "/admin/audit-events"):
        console.allow(404, "/admin/audit-events")  # a user's page shows their events when the build has them
    console.sign_in_fully(console.service.admin_email, console.service.admin_password)
    return console


def test_create_a_user_then_every_action_on_their_page(admin):
    console = admin
    console.nav("Users")
    console.heading("Users")
    console.page.get_by_role("link", name="Create a user").click()
    console.heading("Create a user")
    email = f"created-{uuid.uuid4().hex[:8]}@example.com"
    console.page.get_by_label("Email", exact=True).fill(email)
    console.page.get_by_label("Password").fill(PASSWORD)
    console.page.get_by_label("Role").select_option("user")
    console.page.get_by_role("button", name="Create user").click()
    console.heading(email)
    console.says(f"The user {email} was created.")
    expect(fact(console, "Email verified")).to_have_text("no")

    # Their sessions and keys, made by the user themselves through the API.
    with user_login(console.service, email) as client:
        key = client.post("/api-keys", json={"name": "their script", "role": "guest"})
        assert key.status_code == 201, key.text
        console.page.reload()
        expect(console.section("Sessions")).to_contain_text("nightly-script/1.0")
        expect(console.section("API keys")).to_contain_text("their script")
        console.screenshot("user")

        console.section("Role").get_by_label("Role").select_option("guest")
        console.section("Role").get_by_role("button", name="Change role").click()
        expect(fact(console, "Role")).to_have_text("guest")

        console.page.get_by_role("button", name="Mark verified").click()
        expect(fact(console, "Email verified")).to_have_text("yes")

        console.page.get_by_role("button", name="End all sessions").click()
        console.confirm(f"End every session of {email}?")
        expect(console.section("Sessions")).to_contain_text("Nothing to show.")
        assert client.get("/users/me").status_code == 401

    console.section("API keys").get_by_role("button", name="Revoke").click()
    console.confirm(f"Revoke the key “their script” of {email}?")
    expect(console.section("API keys")).to_contain_text("revoked")

    console.page.get_by_role("button", name="Deactivate").click()
    console.confirm(f"Deactivate {email}?")
    expect(fact(console, "State")).to_have_text("inactive")
    console.page.get_by_role("button", name="Activate").click()
    expect(fact(console, "State")).to_have_text("active")

    console.page.get_by_role("button", name="Delete user").click()
    dialog = console.page.locator("dialog[open]")
    expect(dialog).to_contain_text(f"Delete the user {email}?")
    dialog.get_by_role("button", name="Cancel").click()
    console.heading(email)
    console.page.get_by_role("button", name="Delete user").click()
    console.confirm(f"Delete the user {email}?")
    console.heading("Users")
    console.page.get_by_label("Email contains").fill(email)
    console.page.get_by_role("button", name="Search").click()
    expect(console.page.locator("main tbody")).to_contain_text("Nothing to show.")


def test_unlock_a_locked_user(admin):
    console = admin
    email = create_user(console.service, prefix="locked")
    with httpx.Client(base_url=console.service.url, timeout=30) as client:
        for _ in range(10):  # LOGIN_MAX_FAILURES
            client.post("/auth/jwt/login", data={"username": email, "password": "wrong-password-again"})
    console.open(f"/users/{user_id(console.service, email)}")
    expect(fact(console, "Locked")).to_contain_text("until")

    console.page.get_by_role("button", name="Unlock login").click()

    expect(fact(console, "Locked")).to_have_text("no")
    with user_login(console.service, email) as client:
        assert client.get("/users/me").status_code == 200


def test_reset_a_users_second_factor(admin):
    console = admin
    email = create_user(console.service, prefix="lost-phone")
    with user_login(console.service, email) as client:
        secret = client.post("/users/me/mfa/totp").json()["secret"]
        assert client.post("/users/me/mfa/totp/confirm", json={"code": pyotp.TOTP(secret).now()}).status_code == 200
    console.open(f"/users/{user_id(console.service, email)}")
    expect(fact(console, "Second factor")).to_have_text("on")

    console.page.get_by_role("button", name="Reset second factor").click()
    console.confirm(f"Remove the second factor of {email}?")

    expect(fact(console, "Second factor")).to_have_text("off")


def test_the_last_admin_cannot_demote_or_deactivate_themselves(admin):
    console = admin
    console.allow(409, f"/admin/users/{user_id(console.service, console.service.admin_email)}")
    console.open(f"/users/{user_id(console.service, console.service.admin_email)}")

    console.section("Role").get_by_label("Role").select_option("user")
    console.section("Role").get_by_role("button", name="Change role").click()
    expect(console.section("Role").locator(".message.error")).to_contain_text("admin")
    console.page.get_by_role("button", name="Deactivate").click()
    console.confirm("Deactivate")
    expect(console.section("Actions").locator(".message.error")).to_contain_text("admin")
    expect(fact(console, "Role")).to_have_text("admin")


def test_search_filters_newest_first_and_pages(admin):
    console = admin
    tag = uuid.uuid4().hex[:6]
    with admin_client(console.service) as client:
        for number in range(23):
            body = {
                "email": f"crowd{tag}-{number:02d}@example.com",
                "password": PASSWORD,
                "role": "guest" if number % 2 else "user",
                "is_verified": number < 20,
            }
            assert client.post("/admin/users", json=body).status_code == 201
    console.nav("Users")
    console.page.get_by_label("Email contains").fill(f"crowd{tag}")
    console.page.get_by_role("button", name="Search").click()
    rows = console.page.locator("main tbody tr")
    expect(rows).to_have_count(20)
    expect(rows.first).to_contain_text(f"crowd{tag}-22")  # newest first
    expect(console.page.locator(".pager")).to_contain_text("Page 1 of 2 (23 in all)")
    console.screenshot("users")
    console.page.get_by_role("link", name="Older →").click()
    expect(rows).to_have_count(3)
    expect(rows.last).to_contain_text(f"crowd{tag}-00")

    console.page.get_by_label("Role").select_option("guest")
    console.page.get_by_role("button", name="Search").click()
    expect(rows).to_have_count(11)
    console.page.get_by_label("Verified").select_option("false")
    console.page.get_by_role("button", name="Search").click()
    expect(rows).to_have_count(1)  # 21 (guest, unverified); 20 and 22 are users
    expect(rows.first).to_contain_text(f"crowd{tag}-21")
    console.page.get_by_label("Role").select_option("")
    console.page.get_by_label("Verified").select_option("")
    console.page.get_by_label("Locked").select_option("true")
    console.page.get_by_role("button", name="Search").click()
    expect(console.page.locator("main tbody")).to_contain_text("Nothing to show.")
    console.page.get_by_label("Locked").select_option("")
    console.page.get_by_label("Second factor").select_option("false")
    console.page.get_by_label("Active").select_option("true")
    console.page.get_by_role("button", name="Search").click()
    expect(rows).to_have_count(20)


def test_every_api_key_with_its_owner_and_revoke(admin):
    console = admin
    email = create_user(console.service, prefix="key-owner")
    name = f"export {uuid.uuid4().hex[:6]}"
    with user_login(console.service, email) as client:
        assert client.post("/api-keys", json={"name": name}).status_code == 201
    console.nav("All API keys")
    console.heading("All API keys")
    row = console.page.locator("main tbody tr", has_text=name)
    expect(row).to_contain_text("user")
    console.screenshot("admin-api-keys")

    row.get_by_role("button", name="Revoke").click()
    console.confirm(f"Revoke the key “{name}”?")

    expect(console.page.locator("main tbody tr", has_text=name)).to_contain_text("revoked")
    row.get_by_role("link").first.click()
    console.heading(email)


def test_mail_pending_and_failed_and_retry(admin):
    console = admin
    email = create_user(console.service, prefix="mail")
    console.service.smtp.stop()  # the mail server is down: the message waits, with its error
    try:
        with httpx.Client(base_url=console.service.url, timeout=30) as client:
            assert client.post("/auth/forgot-password", json={"email": email}).status_code == 202
        with admin_client(console.service) as client:
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline:
                items = client.get("/admin/mail", params={"status": "pending"}).json()["items"]
                if any(item["recipient"] == email and item["last_error"] for item in items):
                    break
                time.sleep(0.2)
        console.nav("Mail")
        console.page.get_by_label("Status").select_option("pending")
        console.page.get_by_role("button", name="Show").click()
        row = console.page.locator("main tbody tr", has_text=email)
        expect(row).to_contain_text("pending")
        console.screenshot("mail")
    finally:
        console.service.smtp.start()
    row.get_by_role("button", name="Retry now").click()
    expect(row).to_contain_text("Queued")
    console.service.mail_to(email, subject_part="reset")
    console.page.get_by_label("Status").select_option("sent")
    console.page.get_by_role("button", name="Show").click()
    expect(console.page.locator("main tbody tr", has_text=email)).to_contain_text("sent")


def test_status(admin):
    console = admin
    console.nav("Status")
    console.heading("Status")
    expect(fact(console, "Readiness")).to_have_text("ready")
    expect(fact(console, "Version")).to_have_text("0.1.0")
    expect(console.section("The service").locator("tbody tr", has_text="database")).to_contain_text("ok")
    admins = console.section("Accounts by role").locator("tbody tr", has_text="admin")
    expect(admins.locator("td").nth(1)).to_have_text("1")
    console.screenshot("status")


def test_audit_log_filters_and_pages(admin):
    console = admin
    needs_route(console.service, "GET", "/admin/audit-events")
    email = create_user(console.service, prefix="audited")
    target = user_id(console.service, email)
    with admin_client(console.service) as client:
        for role in ("guest", "user") * 30:  # 60 role changes: more than a page
            assert client.patch(f"/admin/users/{target}", json={"role": role}).status_code == 200
    console.nav("Audit log")
    console.heading("Audit log")
    console.page.get_by_label("Target user id").fill(target)
    console.page.get_by_label("Event type").fill("user.role_changed")
    console.page.get_by_role("button", name="Filter").click()
    rows = console.page.locator("main tbody tr")
    expect(rows).to_have_count(50)
    console.screenshot("audit-log")
    console.page.get_by_role("button", name="Show more").click()
    expect(rows).to_have_count(60)
    expect(console.page.get_by_role("button", name="Show more")).to_be_hidden()
    console.open(f"/users/{target}")
    expect(console.section("Audit events")).to_contain_text("user.role_changed")


@pytest.mark.parametrize("role", ["user", "guest"])
def test_who_is_not_an_admin_is_told_not_allowed(console, role):
    email = create_user(console.service, role=role, prefix=f"not-admin-{role}")
    console.sign_in_fully(email, PASSWORD)
    expect(console.page.locator("#nav")).not_to_contain_text("Users")
    for path in ("/users", "/users/new", "/api-keys", "/audit", "/mail", "/status", f"/users/{uuid.uuid4()}"):
        console.open(path)
        console.heading("Not allowed")
        console.says(f"Not allowed: this page is for admins, and you are signed in as a {role}.")


def test_a_visitor_is_sent_to_sign_in(console):
    for path in ("/users", "/status", "/account"):
        console.open(path)
        console.heading("Sign in")
