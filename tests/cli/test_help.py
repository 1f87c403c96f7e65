"""`gatehouse --help` and each command's own."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.cli import COMMANDS
from tests.cli.support import gatehouse


def test_gatehouse_help_lists_every_command(tmp_path: Path):
    result = gatehouse("--help", workdir=tmp_path)

    assert result.returncode == 0
    for name in ("serve", "migrate", "create-admin", "check-config", "generate-signing-key"):
        assert name in result.stdout


@pytest.mark.parametrize("name", [command.NAME for command in COMMANDS])
def test_every_command_has_its_own_help(name: str, tmp_path: Path):
    result = gatehouse(name, "--help", workdir=tmp_path)

    assert result.returncode == 0
    assert f"usage: gatehouse {name}" in result.stdout


def test_an_unknown_option_of_a_command_is_refused(tmp_path: Path):
    result = gatehouse("migrate", "--no-such-option", workdir=tmp_path)

    assert result.returncode == 2
    assert "--no-such-option" in result.stderr
