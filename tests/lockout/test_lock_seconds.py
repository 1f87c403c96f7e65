"""How long a streak of failures locks the login."""

import pytest
from pydantic import ValidationError

from app.config import Settings
from app.lockout.service import lock_seconds


def settings(**values):
    return Settings(_env_file=None, **values)


def test_below_the_threshold_there_is_no_lock():
    assert lock_seconds(9, settings=settings()) is None


def test_the_lock_starts_at_the_base_and_doubles_with_each_further_failure():
    defaults = settings()
    assert [lock_seconds(n, settings=defaults) for n in range(10, 17)] == [60, 120, 240, 480, 960, 1920, 3600]


def test_the_lock_never_exceeds_the_maximum():
    assert lock_seconds(10_000, settings=settings()) == 3600


def test_the_thresholds_are_settings():
    custom = settings(login_max_failures=3, login_lockout_base_seconds=5, login_lockout_max_seconds=30)
    assert [lock_seconds(n, settings=custom) for n in range(2, 7)] == [None, 5, 10, 20, 30]


def test_a_cap_below_the_base_is_refused():
    with pytest.raises(ValidationError, match="LOGIN_LOCKOUT_MAX_SECONDS"):
        settings(login_lockout_base_seconds=600, login_lockout_max_seconds=60)


def test_more_than_100_failures_before_a_lock_is_refused():
    with pytest.raises(ValidationError, match="login_max_failures"):
        settings(login_max_failures=101)
