"""`gatehouse create-admin`: the password from standard input or GATEHOUSE_ADMIN_PASSWORD."""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

from passlib.hash import bcrypt_sha256

from tests.cli.support import gatehouse, run

PASSWORD = "an-admin-password-from-the-shell"


def stored_admin(workdir: Path, email: str) -> tuple[str, str] | None:
    with sqlite3.connect(workdir / "gatehouse.db") as connection:
        row = connection.execute("SELECT role, hashed_password FROM users WHERE email = ?", (email,)).fetchone()
    return None if row is None else (row[0], row[1])


def test_create_admin_reads_the_password_from_standard_input(tmp_path: Path):
    result = gatehouse(
        "create-admin", "--email", "Root@Example.com", "--password-stdin", workdir=tmp_path, stdin=f"{PASSWORD}\n"
    )

    assert result.returncode == 0, result.stderr
    stored = stored_admin(tmp_path, "root@example.com")
    assert stored is not None
    assert stored[0] == "admin"
    assert bcrypt_sha256.verify(PASSWORD, stored[1])


def test_create_admin_reads_the_password_from_the_environment(tmp_path: Path):
    result = gatehouse(
        "create-admin", "--email", "root@example.com", workdir=tmp_path, env={"GATEHOUSE_ADMIN_PASSWORD": PASSWORD}
    )

    assert result.returncode == 0, result.stderr
    stored = stored_admin(tmp_path, "root@example.com")
    assert stored is not None
    assert bcrypt_sha256.verify(PASSWORD, stored[1])


def test_create_admin_without_a_password_source_fails_and_creates_nobody(tmp_path: Path):
    result = gatehouse("create-admin", "--email", "root@example.com", workdir=tmp_path)

    assert result.returncode == 1
    assert "--password-stdin" in result.stderr
    assert not (tmp_path / "gatehouse.db").exists() or stored_admin(tmp_path, "root@example.com") is None


def test_promote_makes_an_existing_account_an_admin(tmp_path: Path):
    created = gatehouse(
        "create-admin", "--email", "a@example.com", "--password-stdin", workdir=tmp_path, stdin=PASSWORD
    )
    assert created.returncode == 0, created.stderr
    with sqlite3.connect(tmp_path / "gatehouse.db") as connection:
        connection.execute("UPDATE users SET role = 'user' WHERE email = 'a@example.com'")

    promoted = gatehouse("create-admin", "--promote", "--email", "a@example.com", workdir=tmp_path)

    assert promoted.returncode == 0, promoted.stderr
    stored = stored_admin(tmp_path, "a@example.com")
    assert stored is not None and stored[0] == "admin"


def test_the_script_wrapper_keeps_working(tmp_path: Path):
    script = Path(__file__).resolve().parents[2] / "scripts" / "create_admin.py"

    result = run(
        [sys.executable, str(script), "--email", "root@example.com"],
        workdir=tmp_path,
        env={"GATEHOUSE_ADMIN_PASSWORD": PASSWORD},
    )

    assert result.returncode == 0, result.stderr
    stored = stored_admin(tmp_path, "root@example.com")
    assert stored is not None and stored[0] == "admin"
