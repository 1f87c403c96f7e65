"""The service's own password hashing, with its default cost, in this process."""

from __future__ import annotations

import statistics
import time
from typing import Any

from app.config import Settings
from app.core.passwords import PasswordHasher
from scripts.benchmark.accounts import new_password


def default_rounds() -> int:
    rounds: int = Settings.model_fields["password_bcrypt_rounds"].default
    return rounds


def default_queue_limit() -> int:
    """PASSWORD_HASH_QUEUE_LIMIT unset: the password operations one worker admits at once."""
    limit: int = Settings.model_fields["password_hash_queue_limit"].default
    return limit


def password_verification() -> dict[str, Any]:
    """The time of one password verification with the service's own hasher and default cost, in
    this process, outside any event loop; the median of several."""
    rounds = default_rounds()
    hasher = PasswordHasher(rounds=rounds, threads=1)
    try:
        password = new_password()
        hashed = hasher.context.hash(password)
        samples = []
        for _ in range(7):
            started = time.perf_counter()
            verified = hasher.context.verify(password, hashed)
            samples.append(time.perf_counter() - started)
            if not verified:
                raise RuntimeError("the service's hasher did not verify its own hash")
    finally:
        hasher.close()
    return {
        "rounds": rounds,
        "scheme": hashed.split("$")[1],
        "samples_s": samples,
        "median_s": statistics.median(samples),
    }


def service_hash(password: str) -> str:
    """`password` hashed as the service stores it."""
    hasher = PasswordHasher(rounds=default_rounds(), threads=1)
    try:
        return hasher.hash(password)
    finally:
        hasher.close()
