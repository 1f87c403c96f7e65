"""Security notices: each sent on its change, none with a secret, each switchable."""

from __future__ import annotations

import pytest

from tests.factories import links_in

NEW_PASSWORD = "a-brand-new-password"


def subjects(smtp_server, address: str) -> list[str]:
    return [str(message["Subject"]) for message in smtp_server.inbox.to(address)]


def assert_no_secret(message, *secrets: str) -> None:
    raw = message.as_string()
    assert links_in(message) == []
    for secret in secrets:
        assert secret not in raw


async def test_a_password_change_sends_a_notice(client, user, smtp_server):
    body = {"password": NEW_PASSWORD, "current_password": user.password}
    assert (await client.patch("/users/me", json=body, headers=user.headers)).status_code == 200

    [notice] = smtp_server.inbox.to(user.email)
    assert "password was changed" in notice["Subject"]
    assert_no_secret(notice, NEW_PASSWORD, user.password)


async def test_a_password_change_without_the_current_password_is_refused(client, user, smtp_server):
    response = await client.patch("/users/me", json={"password": NEW_PASSWORD}, headers=user.headers)

    assert response.status_code == 400
    assert response.json()["detail"] == "CURRENT_PASSWORD_INVALID"
    assert smtp_server.inbox.messages == []


async def test_a_password_reset_sends_a_notice(client, user, smtp_server):
    await client.post("/auth/forgot-password", json={"email": user.email})
    [(_, token)] = links_in(smtp_server.inbox.to(user.email)[0])

    await client.post("/auth/reset-password", json={"token": token, "password": NEW_PASSWORD})

    assert any("password was reset" in subject for subject in subjects(smtp_server, user.email))
    assert_no_secret(smtp_server.inbox.to(user.email)[-1], NEW_PASSWORD, token)


async def test_a_new_api_key_sends_a_notice_without_the_key(client, user, keys, smtp_server):
    issued = await keys.create(user, name="deploy script")

    [notice] = smtp_server.inbox.to(user.email)
    assert "API key" in notice["Subject"]
    assert "deploy script" in notice.get_body(preferencelist=("plain",)).get_content()
    assert_no_secret(notice, issued.key)


async def test_deactivation_and_reactivation_by_an_admin_send_notices(client, admin, user, smtp_server):
    await client.patch(f"/admin/users/{user.id}", json={"is_active": False}, headers=admin.headers)
    await client.patch(f"/admin/users/{user.id}", json={"is_active": True}, headers=admin.headers)

    assert [subject.rsplit(" ", 1)[-1] for subject in subjects(smtp_server, user.email)] == [
        "deactivated",
        "re-activated",
    ]


@pytest.mark.parametrize(
    "settings_overrides",
    [
        {
            "notify_password_changed": False,
            "notify_api_key_created": False,
            "notify_account_deactivated": False,
            "notify_email_changed": False,
        }
    ],
    indirect=True,
)
async def test_notices_switched_off_are_not_sent(client, admin, user, keys, smtp_server, settings_overrides):
    body = {"password": NEW_PASSWORD, "current_password": user.password}
    await client.patch("/users/me", json=body, headers=user.headers)
    await keys.create(admin)
    await client.patch(f"/admin/users/{user.id}", json={"is_active": False}, headers=admin.headers)
    await client.patch(f"/admin/users/{user.id}", json={"email": "moved@example.com"}, headers=admin.headers)

    assert smtp_server.inbox.messages == []
