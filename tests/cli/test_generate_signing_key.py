"""`gatehouse generate-signing-key`: a PEM the service signs with, readable by its owner alone."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from app.config import Settings
from app.core.signing_keys import SigningKeys
from tests.cli.support import gatehouse


@pytest.mark.parametrize("algorithm", ["ES256", "RS256"])
def test_the_generated_key_signs_with_its_algorithm_and_is_mode_0600(algorithm: str, tmp_path: Path):
    path = tmp_path / "jwt.pem"

    result = gatehouse("generate-signing-key", "--algorithm", algorithm, "--out", str(path), workdir=tmp_path)

    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    keys = SigningKeys.from_settings(
        Settings(_env_file=None, jwt_algorithm=algorithm, jwt_private_key_file=path)  # type: ignore[call-arg]
    )
    assert keys.algorithm == algorithm
    assert keys.kid is not None and keys.kid in result.stdout


def test_an_existing_file_is_never_overwritten(tmp_path: Path):
    path = tmp_path / "jwt.pem"
    path.write_text("keep me")

    result = gatehouse("generate-signing-key", "--algorithm", "ES256", "--out", str(path), workdir=tmp_path)

    assert result.returncode == 1
    assert "exists" in result.stderr
    assert path.read_text() == "keep me"


def test_an_unknown_algorithm_is_refused(tmp_path: Path):
    result = gatehouse("generate-signing-key", "--algorithm", "HS256", "--out", "k.pem", workdir=tmp_path)

    assert result.returncode == 2
    assert not (tmp_path / "k.pem").exists()
