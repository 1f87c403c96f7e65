"""The login limit holds across worker processes when the counts live in Redis."""

import httpx

WRONG_LOGIN = {"username": "nobody@example.com", "password": "not-the-password"}
LIMIT = {"LOGIN_RATE_LIMIT": "5/minute"}


def spread_logins(urls, attempts):
    """Log in `attempts` times, taking turns between the servers; the answers in order."""
    with httpx.Client(timeout=10) as http:
        return [http.post(f"{urls[i % len(urls)]}/auth/jwt/login", data=WRONG_LOGIN) for i in range(attempts)]


def test_with_redis_storage_two_processes_share_the_login_limit(redis_url, gatehouse_servers):
    settings = {**LIMIT, "RATE_LIMIT_STORAGE_URI": redis_url}
    urls = gatehouse_servers(2, settings)

    answers = spread_logins(urls, 6)

    assert [answer.status_code for answer in answers] == [400, 400, 400, 400, 400, 429]
    assert [answer.headers["X-RateLimit-Remaining"] for answer in answers[:5]] == ["4", "3", "2", "1", "0"]
    assert int(answers[5].headers["Retry-After"]) >= 1
    assert answers[5].json()["error"] == "rate_limited"


def test_with_memory_storage_each_process_counts_on_its_own(gatehouse_servers):
    settings = {**LIMIT, "RATE_LIMIT_STORAGE_URI": "memory://"}
    urls = gatehouse_servers(2, settings)

    answers = spread_logins(urls, 6)

    assert [answer.status_code for answer in answers] == [400] * 6
