"""Email change through PATCH /users/me: the current password, a confirmation link to the new
address, a notice to the old one, and POST /auth/confirm-email-change."""

from __future__ import annotations

from app.core.secrets import SecretPurpose
from app.lockout.service import LockoutService
from tests.factories import links_in
from tests.mail.smtp import SmtpServer

NEW_EMAIL = "ada.new@example.com"


def confirmation_token(smtp_server: SmtpServer, address: str) -> str:
    [(page, token)] = [found for message in smtp_server.inbox.to(address) for found in links_in(message)]
    assert page == "confirm-email"
    return token


async def request_change(client, user, email: str = NEW_EMAIL, password: str | None = None):
    body = {"email": email, "current_password": password or user.password}
    return await client.patch("/users/me", json=body, headers=user.headers)


async def test_a_change_mails_a_link_to_the_new_address_and_a_notice_without_link_to_the_old(client, user, smtp_server):
    response = await request_change(client, user)

    assert response.status_code == 200
    assert response.json()["email"] == user.email
    assert response.json()["pending_email"] == NEW_EMAIL
    assert confirmation_token(smtp_server, NEW_EMAIL)
    [notice] = smtp_server.inbox.to(user.email)
    assert links_in(notice) == []
    assert NEW_EMAIL in notice.get_body(preferencelist=("plain",)).get_content()


async def test_the_link_applies_the_change_once(client, user, smtp_server, accounts):
    await request_change(client, user)
    token = confirmation_token(smtp_server, NEW_EMAIL)

    first = await client.post("/auth/confirm-email-change", json={"token": token})
    second = await client.post("/auth/confirm-email-change", json={"token": token})

    assert first.status_code == 200
    assert first.json()["email"] == NEW_EMAIL
    assert first.json()["is_verified"] is True
    assert second.status_code == 400
    assert second.json()["detail"] == "EMAIL_CHANGE_BAD_TOKEN"
    assert await accounts.login(NEW_EMAIL, user.password)


async def test_the_old_address_hears_that_the_change_was_made(client, user, smtp_server):
    await request_change(client, user)
    await client.post("/auth/confirm-email-change", json={"token": confirmation_token(smtp_server, NEW_EMAIL)})

    subjects = [str(message["Subject"]) for message in smtp_server.inbox.to(user.email)]

    assert any("was changed" in subject for subject in subjects)


async def test_a_wrong_current_password_is_refused_and_counted_as_a_failed_login(
    client, user, app, smtp_server, settings
):
    response = await request_change(client, user, password="not-the-password")

    assert response.status_code == 400
    assert response.json()["detail"] == "CURRENT_PASSWORD_INVALID"
    assert smtp_server.inbox.messages == []
    async with app.state.services.database.sessionmaker() as db:
        keys = app.state.services.keys
        lockouts = LockoutService(db=db, settings=settings, hasher=keys.hasher(SecretPurpose.LOGIN_LOCKOUT))
        assert (await lockouts.state(email=user.email)).failed_count == 1


async def test_an_address_taken_before_the_confirmation_is_refused(client, user, smtp_server, accounts):
    await request_change(client, user)
    await accounts.create(email=NEW_EMAIL, login=False)

    response = await client.post(
        "/auth/confirm-email-change", json={"token": confirmation_token(smtp_server, NEW_EMAIL)}
    )

    assert response.status_code == 400
    assert response.json()["detail"] == "UPDATE_USER_EMAIL_ALREADY_EXISTS"


async def test_a_token_is_stale_once_the_password_changed(client, user, smtp_server):
    await request_change(client, user)
    token = confirmation_token(smtp_server, NEW_EMAIL)
    body = {"password": "a-brand-new-password", "current_password": user.password}
    assert (await client.patch("/users/me", json=body, headers=user.headers)).status_code == 200

    response = await client.post("/auth/confirm-email-change", json={"token": token})

    assert response.status_code == 400
    assert response.json()["detail"] == "EMAIL_CHANGE_BAD_TOKEN"


async def test_a_bad_token_is_refused(client):
    for token in ("not-a-token", "a" * 500):
        response = await client.post("/auth/confirm-email-change", json={"token": token})
        assert response.status_code == 400
        assert response.json()["detail"] == "EMAIL_CHANGE_BAD_TOKEN"


async def test_a_verification_token_is_not_an_email_change_token(client, smtp_server):
    await client.post("/auth/register", json={"email": "bob@example.com", "password": "a-long-enough-password"})
    [(_, verify_token)] = links_in(smtp_server.inbox.to("bob@example.com")[0])

    response = await client.post("/auth/confirm-email-change", json={"token": verify_token})

    assert response.json()["detail"] == "EMAIL_CHANGE_BAD_TOKEN"


async def test_an_admin_changes_an_email_at_once_without_a_password(client, admin, user, smtp_server):
    response = await client.patch(f"/admin/users/{user.id}", json={"email": NEW_EMAIL}, headers=admin.headers)

    assert response.status_code == 200
    assert response.json()["email"] == NEW_EMAIL
    assert smtp_server.inbox.to(user.email)  # the old address hears of it
