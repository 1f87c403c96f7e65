"""What the tests tell the Gatehouse processes they start: the database, a shared secret, cheap
hashing, a first admin. The processes are started with `scripts.servers.gatehouse`."""

from __future__ import annotations

from tests.factories import TEST_SECRET

ADMIN_EMAIL = "admin@example.com"
ADMIN_PASSWORD = "the-first-admin-password"


def service_environment(database_url: str, **settings: str) -> dict[str, str]:
    """What every process is told: the database, a shared secret, cheap hashing, a first admin."""
    return {
        "PATH": "/usr/bin:/bin",
        "DATABASE_URL": database_url,
        "SECRET_KEY": TEST_SECRET,
        "PASSWORD_BCRYPT_ROUNDS": "4",
        "FIRST_ADMIN_EMAIL": ADMIN_EMAIL,
        "FIRST_ADMIN_PASSWORD": ADMIN_PASSWORD,
        **settings,
    }
