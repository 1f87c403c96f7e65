"""The dependency trap: fastapi-users-db-sqlalchemy caps SQLAlchemy below 2.1, and without our own
cap a resolver that sees SQLAlchemy 2.1 backtracks to years-old fastapi-users and fastapi.

These tests read what is installed (importlib.metadata) and what pyproject.toml asks for."""

from __future__ import annotations

import importlib.util
import re
import tomllib
from importlib.metadata import version
from pathlib import Path

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


def release(text: str) -> tuple[int, ...]:
    """The numeric release part of a version: '2.0.36' -> (2, 0, 36), '15.0.5.post1' -> (15, 0, 5)."""
    match = re.match(r"\d+(?:\.\d+)*", text)
    assert match, f"not a version: {text!r}"
    return tuple(int(part) for part in match.group().split("."))


def requirement(name: str) -> str:
    """The dependency line in pyproject.toml for the distribution `name`."""
    dependencies = tomllib.loads(PYPROJECT.read_text())["project"]["dependencies"]
    pattern = re.compile(rf"^{re.escape(name)}(\[[^\]]*\])?\s*[<>=!~;]", re.IGNORECASE)
    found = [line for line in dependencies if pattern.match(line)]
    assert len(found) == 1, f"expected one requirement for {name}, found {found}"
    return found[0].replace(" ", "")


def test_release_parses_versions():
    assert release("2.0.36") == (2, 0, 36)
    assert release("15.0.5.post1") == (15, 0, 5)
    assert release("0.120.0rc1") == (0, 120, 0)


def test_installed_fastapi_users_is_15_or_newer():
    assert release(version("fastapi-users")) >= (15,)


def test_installed_fastapi_users_sqlalchemy_adapter_is_7_or_newer():
    assert release(version("fastapi-users-db-sqlalchemy")) >= (7,)


def test_installed_sqlalchemy_is_2_0_and_below_2_1():
    installed = release(version("sqlalchemy"))

    assert (2, 0) <= installed < (2, 1)


def test_installed_fastapi_is_recent():
    assert release(version("fastapi")) >= (0, 120)


def test_pyproject_caps_sqlalchemy_below_2_1():
    line = requirement("sqlalchemy")

    assert "<2.1" in line
    assert "[asyncio]" in line


def test_pyproject_asks_for_fastapi_users_15():
    assert ">=15" in requirement("fastapi-users")


def test_installed_bcrypt_is_5_with_passlib_1_7():
    # The combination whose first use raises unless handled (see app/auth/passwords.py).
    assert release(version("bcrypt")) >= (5,)
    assert release(version("passlib"))[:2] == (1, 7)


def test_python_jose_is_installed_with_the_cryptography_backend():
    assert "python-jose[cryptography]" in requirement("python-jose")
    assert importlib.util.find_spec("cryptography") is not None
