"""Registrations racing through both instances lose nothing and create no duplicate."""

from __future__ import annotations

import asyncio
from collections import Counter

import httpx

from tests.factories import DEFAULT_PASSWORD
from tests.scaleout.instances import ADMIN_EMAIL, ADMIN_PASSWORD

REGISTRATIONS = 200
SAME_EMAIL_ATTEMPTS = 20
SAME_EMAIL_ROUNDS = 5
PAGE = 200  # the admin list's largest page


async def register_all(cluster, emails: list[str]) -> list[httpx.Response]:
    """Register every email at once, taking turns between the instances."""
    limits = httpx.Limits(max_connections=len(emails), max_keepalive_connections=0)
    async with httpx.AsyncClient(timeout=120, limits=limits) as http:
        return await asyncio.gather(
            *(
                http.post(
                    f"{cluster.instances[index % 2].url}/auth/register",
                    json={"email": email, "password": DEFAULT_PASSWORD},
                )
                for index, email in enumerate(emails)
            )
        )


async def listed_emails(cluster) -> tuple[int, list[str]]:
    """Through instance B, as the admin: the admin list's total, and every email on all its pages."""
    emails: list[str] = []
    async with httpx.AsyncClient(base_url=cluster.b.url, timeout=60) as http:
        login = await http.post("/auth/jwt/login", data={"username": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
        assert login.status_code == 200, login.text
        http.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
        while True:
            answer = await http.get("/admin/users", params={"limit": PAGE, "offset": len(emails)})
            assert answer.status_code == 200, answer.text
            page = answer.json()
            emails += [user["email"] for user in page["items"]]
            if not page["items"]:
                return page["total"], emails


async def test_concurrent_registrations_through_both_instances_are_all_kept_once(cluster):
    emails = [f"racer-{number:03d}@example.com" for number in range(REGISTRATIONS)]

    answers = await register_all(cluster, emails)

    assert Counter(answer.status_code for answer in answers) == {201: REGISTRATIONS}, [
        answer.text for answer in answers if answer.status_code != 201
    ][:5]
    total, listed = await listed_emails(cluster)
    racers = Counter(email for email in listed if email.startswith("racer-"))
    admins = len(listed) - sum(racers.values())
    assert admins == 1
    assert total == REGISTRATIONS + admins
    assert racers == Counter(emails)


async def test_concurrent_registrations_of_one_email_make_one_account(cluster):
    for round_number in range(SAME_EMAIL_ROUNDS):
        email = f"twin-{round_number}@example.com"

        answers = await register_all(cluster, [email] * SAME_EMAIL_ATTEMPTS)

        statuses = Counter(answer.status_code for answer in answers)
        assert statuses == {201: 1, 400: SAME_EMAIL_ATTEMPTS - 1}, [answer.text for answer in answers]
        assert {answer.json()["detail"] for answer in answers if answer.status_code == 400} == {
            "REGISTER_USER_ALREADY_EXISTS"
        }
