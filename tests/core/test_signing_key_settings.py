"""JWT_ALGORITHM, JWT_PRIVATE_KEY_FILE and JWT_RETIRED_PUBLIC_KEY_FILES: what starts, and the
clear `ConfigurationError` for everything that must not."""

from __future__ import annotations

from pathlib import Path

import pytest
from asgi_lifespan import LifespanManager
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from app.config import ConfigurationError, Settings
from app.core.signing_keys import SigningKeys
from app.main import create_app
from tests.sessions.support import public_pem, write_private_key


def make_settings(tmp_path: Path, **values: object) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'keys.db'}",
        secret_key="k" * 40,
        **values,
    )


def test_rs256_without_a_private_key_file_is_refused(tmp_path):
    with pytest.raises(ConfigurationError, match="JWT_PRIVATE_KEY_FILE"):
        make_settings(tmp_path, jwt_algorithm="RS256")


def test_a_key_file_with_hs256_is_refused_as_a_likely_mistake(tmp_path):
    key = write_private_key(tmp_path / "jwt.pem", "RS256")

    with pytest.raises(ConfigurationError, match="only used with JWT_ALGORITHM=RS256 or ES256"):
        make_settings(tmp_path, jwt_private_key_file=key)


def test_an_unknown_algorithm_is_refused(tmp_path):
    with pytest.raises(ValueError, match="jwt_algorithm"):
        make_settings(tmp_path, jwt_algorithm="HS512")


def test_the_algorithm_is_case_insensitive(tmp_path):
    key = write_private_key(tmp_path / "jwt.pem", "ES256")

    assert make_settings(tmp_path, jwt_algorithm="es256", jwt_private_key_file=key).jwt_algorithm == "ES256"


def test_retired_key_files_are_read_comma_separated_from_the_environment(tmp_path, monkeypatch):
    key = write_private_key(tmp_path / "jwt.pem", "RS256")
    monkeypatch.setenv("JWT_ALGORITHM", "RS256")
    monkeypatch.setenv("JWT_PRIVATE_KEY_FILE", str(key))
    monkeypatch.setenv("JWT_RETIRED_PUBLIC_KEY_FILES", " /keys/a.pem, /keys/b.pem ,")

    settings = Settings(_env_file=None)  # type: ignore[call-arg]

    assert settings.jwt_retired_public_key_files == [Path("/keys/a.pem"), Path("/keys/b.pem")]


@pytest.mark.parametrize(
    ("algorithm", "kind", "message"),
    [
        ("RS256", "ES256", "RS256 needs an RSA key"),
        ("ES256", "RS256", "ES256 needs an EC key on curve P-256"),
        ("ES256", "P384", "ES256 needs an EC key on curve P-256"),
        ("RS256", "RSA1024", "1024-bit RSA key"),
    ],
)
def test_a_private_key_of_the_wrong_type_is_refused(tmp_path, algorithm, kind, message):
    key = write_private_key(tmp_path / "jwt.pem", kind)

    with pytest.raises(ConfigurationError, match=message):
        SigningKeys.from_settings(make_settings(tmp_path, jwt_algorithm=algorithm, jwt_private_key_file=key))


def test_a_missing_private_key_file_is_refused_with_its_path(tmp_path):
    missing = tmp_path / "nowhere.pem"

    with pytest.raises(ConfigurationError, match=r"cannot read .*nowhere\.pem"):
        SigningKeys.from_settings(make_settings(tmp_path, jwt_algorithm="RS256", jwt_private_key_file=missing))


def test_a_file_that_is_not_a_pem_key_is_refused(tmp_path):
    garbage = tmp_path / "jwt.pem"
    garbage.write_text("not a key")

    with pytest.raises(ConfigurationError, match="not a PEM private key"):
        SigningKeys.from_settings(make_settings(tmp_path, jwt_algorithm="RS256", jwt_private_key_file=garbage))


def test_a_public_key_as_the_private_key_is_refused(tmp_path):
    public = tmp_path / "jwt.pub.pem"
    public.write_bytes(public_pem(write_private_key(tmp_path / "jwt.pem", "RS256")))

    with pytest.raises(ConfigurationError, match="not a PEM private key"):
        SigningKeys.from_settings(make_settings(tmp_path, jwt_algorithm="RS256", jwt_private_key_file=public))


def test_an_encrypted_private_key_is_refused(tmp_path):
    encrypted = tmp_path / "jwt.pem"
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    encrypted.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"passphrase"),
        )
    )

    with pytest.raises(ConfigurationError, match="is encrypted"):
        SigningKeys.from_settings(make_settings(tmp_path, jwt_algorithm="RS256", jwt_private_key_file=encrypted))


@pytest.mark.parametrize("content", ["garbage", "P384"])
def test_a_retired_file_that_is_not_a_usable_public_key_is_refused(tmp_path, content):
    retired = tmp_path / "retired.pem"
    if content == "garbage":
        retired.write_text("not a key")
    else:
        retired.write_bytes(public_pem(write_private_key(tmp_path / "p384.pem", content)))
    key = write_private_key(tmp_path / "jwt.pem", "RS256")

    with pytest.raises(ConfigurationError, match="JWT_RETIRED_PUBLIC_KEY_FILES"):
        SigningKeys.from_settings(
            make_settings(
                tmp_path, jwt_algorithm="RS256", jwt_private_key_file=key, jwt_retired_public_key_files=[retired]
            )
        )


def test_a_retired_key_given_as_a_private_key_publishes_only_its_public_half(tmp_path):
    key = write_private_key(tmp_path / "jwt.pem", "RS256")
    retired = write_private_key(tmp_path / "old.pem", "ES256")

    keys = SigningKeys.from_settings(
        make_settings(tmp_path, jwt_algorithm="RS256", jwt_private_key_file=key, jwt_retired_public_key_files=[retired])
    )

    published = keys.jwks()["keys"]
    assert [entry["alg"] for entry in published] == ["RS256", "ES256"]
    assert all("d" not in entry for entry in published)


async def test_the_service_does_not_start_with_an_unusable_key(tmp_path):
    key = write_private_key(tmp_path / "jwt.pem", "ES256")
    application = create_app(make_settings(tmp_path, jwt_algorithm="RS256", jwt_private_key_file=key))

    with pytest.raises(ConfigurationError, match="RS256 needs an RSA key"):
        async with LifespanManager(application, startup_timeout=60, shutdown_timeout=60):
            pass
