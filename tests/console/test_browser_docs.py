"""/docs and /redoc with no internet: every asset comes from the service, and Swagger UI's
Authorize button logs in with the password flow."""

from __future__ import annotations

from playwright.sync_api import expect


def test_swagger_ui_works_offline_and_authorize_logs_in(console):
    page = console.page
    page.goto(console.service.url + "/docs")
    expect(page.locator(".swagger-ui .information-container")).to_contain_text("Gatehouse")

    page.locator("button.authorize").first.click()
    dialog = page.locator(".dialog-ux .modal-ux")
    dialog.locator("#oauth_username").fill(console.service.admin_email)
    dialog.locator("#oauth_password").fill(console.service.admin_password)
    dialog.locator("button.authorize").first.click()
    expect(dialog).to_contain_text("Logout")
    dialog.locator("button.btn-done").first.click()

    operation = page.locator("#operations-users-read_me")
    operation.locator(".opblock-summary").click()
    operation.get_by_role("button", name="Try it out").click()
    operation.get_by_role("button", name="Execute").click()
    expect(operation.locator(".responses-table.live-responses-table")).to_contain_text(console.service.admin_email)
    assert not console.blocked, console.blocked


# ReDoc's footer shows a logo from its maker's CDN (the address is built into its bundle); the
# docs' policy refuses it, so nothing leaves the machine, and the browser reports the refusal.
REDOC_LOGO_REFUSED = "Loading the image 'https://cdn.redoc.ly/redoc/logo-mini.svg' violates"


def test_redoc_works_offline(console):
    console.page.goto(console.service.url + "/redoc")
    expect(console.page.locator("h1").first).to_contain_text("Gatehouse")
    expect(console.page.get_by_text("/users/me").first).to_be_attached()
    assert not console.blocked, console.blocked
    console.errors[:] = [error for error in console.errors if not error.startswith(REDOC_LOGO_REFUSED)]
