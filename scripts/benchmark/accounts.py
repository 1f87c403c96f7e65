"""The accounts the sections create: one ordinary user, the first admin, fresh random passwords."""

from __future__ import annotations

import secrets

USER_EMAIL = "bench-user@example.com"
ADMIN_EMAIL = "bench-admin@example.com"


def new_password() -> str:
    return secrets.token_urlsafe(18)
