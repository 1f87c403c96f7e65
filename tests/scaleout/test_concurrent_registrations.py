"""Registrations racing through both instances lose nothing and create no duplicate.

Beyond each worker's password queue (PASSWORD_HASH_QUEUE_LIMIT) a registration answers 503
SERVICE_BUSY with `Retry-After`, and changes nothing: retried after it, it registers."""

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


async def register_until_done(cluster, emails: list[str]) -> Counter[int]:
    """Register every email at once; retry those answered 503 after their Retry-After, until none
    is. The statuses of every answer, retries included."""
    statuses: Counter[int] = Counter()
    pending = emails
    for _ in range(20):
        answers = await register_all(cluster, pending)
        statuses.update(answer.status_code for answer in answers)
        busy = [answer for answer in answers if answer.status_code == 503]
        for answer in busy:
            assert answer.json()["detail"] == "SERVICE_BUSY", answer.text
            assert int(answer.headers["Retry-After"]) >= 1
        if not busy:
            return statuses
        pending = [email for email, answer in zip(pending, answers, strict=True) if answer.status_code == 503]
        await asyncio.sleep(max(int(answer.headers["Retry-After"]) for answer in busy))
    raise AssertionError(f"{len(pending)} registrations were still refused as busy after 20 rounds")


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

    statuses = await register_until_done(cluster, emails)

    assert set(statuses) <= {201, 503}, statuses
    assert statuses[201] == REGISTRATIONS
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
        assert statuses[201] <= 1 and set(statuses) <= {201, 400, 503}, [answer.text for answer in answers]
        assert {answer.json()["detail"] for answer in answers if answer.status_code == 400} <= {
            "REGISTER_USER_ALREADY_EXISTS"
        }
        if statuses[201] == 0:  # every attempt but the busy ones lost: the busy ones retry
            retried = await register_until_done(cluster, [email])
            statuses.update(retried)
        assert statuses[201] == 1, statuses
