"""A logout, demotion or deactivation made through one instance holds on the other at once.

Each check first makes the other instance serve the token (so it has the session and the
user's role in its caches), then changes the account through the first instance, then sends the
very next request to the other one.
"""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.factories import DEFAULT_PASSWORD

# Both directions: the change through A seen by B, and through B seen by A.
DIRECTIONS = pytest.mark.parametrize("through, seen_by", [(0, 1), (1, 0)], ids=["a-to-b", "b-to-a"])


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def register(cluster, instance) -> tuple[str, str]:
    """A new account registered through `instance`; its id and email."""
    email = f"user-{uuid.uuid4().hex[:10]}@example.com"
    answer = httpx.post(
        f"{instance.url}/auth/register", json={"email": email, "password": DEFAULT_PASSWORD}, timeout=30
    )
    assert answer.status_code == 201, answer.text
    return answer.json()["id"], email


@DIRECTIONS
def test_a_logout_through_one_instance_ends_the_token_on_the_other(cluster, through, seen_by):
    one, other = cluster.instances[through], cluster.instances[seen_by]
    _, email = register(cluster, one)
    token = cluster.login(one, email, DEFAULT_PASSWORD)
    with httpx.Client(timeout=30, headers=bearer(token)) as http:
        assert http.get(f"{other.url}/users/me").status_code == 200

        assert http.post(f"{one.url}/auth/jwt/logout").status_code == 204
        after = http.get(f"{other.url}/users/me")

    assert after.status_code == 401, after.text
    assert after.headers["WWW-Authenticate"] == "Bearer"


@DIRECTIONS
def test_a_demotion_then_a_deactivation_through_one_instance_apply_on_the_other(cluster, through, seen_by):
    one, other = cluster.instances[through], cluster.instances[seen_by]
    user_id, email = register(cluster, one)
    user = bearer(cluster.login(one, email, DEFAULT_PASSWORD))
    admin = bearer(cluster.admin_token(one))
    item = {"title": "written while a user"}
    with httpx.Client(timeout=30) as http:
        assert http.post(f"{other.url}/items", json=item, headers=user).status_code == 201

        demoted = http.patch(f"{one.url}/admin/users/{user_id}", json={"role": "guest"}, headers=admin)
        assert demoted.status_code == 200, demoted.text
        refused = http.post(f"{other.url}/items", json=item, headers=user)
        assert refused.status_code == 403, refused.text

        assert http.get(f"{other.url}/users/me", headers=user).status_code == 200  # guests may still read
        deactivated = http.patch(f"{one.url}/admin/users/{user_id}", json={"is_active": False}, headers=admin)
        assert deactivated.status_code == 200, deactivated.text
        locked_out = http.get(f"{other.url}/users/me", headers=user)

    assert locked_out.status_code == 401, locked_out.text
