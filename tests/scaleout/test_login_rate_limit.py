"""The per-client login limit counts across instances: REDIS_URL alone makes the counts shared."""

from __future__ import annotations

import httpx
import pytest

from tests.scaleout.instances import ADMIN_EMAIL, ADMIN_PASSWORD

LOGIN = {"username": ADMIN_EMAIL, "password": ADMIN_PASSWORD}


@pytest.fixture(scope="module")
def cluster_settings() -> dict[str, str]:
    return {"LOGIN_RATE_LIMIT": "5/minute"}


def test_logins_taking_turns_between_instances_share_one_limit(cluster):
    with httpx.Client(timeout=30) as http:
        answers = [
            http.post(f"{cluster.instances[attempt % 2].url}/auth/jwt/login", data=LOGIN) for attempt in range(7)
        ]

    seen = [(answer.status_code, answer.headers.get("X-RateLimit-Remaining")) for answer in answers]
    assert [answer.status_code for answer in answers] == [200] * 5 + [429, 429], f"(status, remaining): {seen}"
    assert [answer.headers["X-RateLimit-Remaining"] for answer in answers[:5]] == ["4", "3", "2", "1", "0"]
    for refused in answers[5:]:
        assert int(refused.headers["Retry-After"]) >= 1
        assert refused.json()["detail"] == "RATE_LIMITED"
