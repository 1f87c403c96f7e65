"""The key format, checked offline: prefix, entropy, checksum; and the keyed hash."""

from __future__ import annotations

import hashlib
import string

from pydantic import SecretStr

from app.config import Settings
from app.core.api_key_format import (
    ALPHABET,
    CHECKSUM_LENGTH,
    KEY_LENGTH,
    PREFIX,
    RANDOM_LENGTH,
    display_prefix,
    generate_key,
    is_well_formed,
)
from app.core.secrets import KeyRing, SecretPurpose


def _settings(secret: str) -> Settings:
    return Settings(_env_file=None, secret_key=SecretStr(secret))  # type: ignore[call-arg]


def _api_key_hasher(secret: str):
    return KeyRing.from_settings(_settings(secret)).hasher(SecretPurpose.API_KEY)


def test_generated_key_has_prefix_random_part_and_checksum():
    key = generate_key()
    assert key.startswith(PREFIX)
    assert len(key) == KEY_LENGTH == len(PREFIX) + RANDOM_LENGTH + CHECKSUM_LENGTH
    assert set(key[len(PREFIX) :]) <= set(string.ascii_letters + string.digits)
    assert is_well_formed(key)


def test_random_part_carries_at_least_128_bits():
    assert len(ALPHABET) ** RANDOM_LENGTH >= 2**256


def test_generated_keys_differ():
    assert len({generate_key() for _ in range(100)}) == 100


def test_every_single_character_change_breaks_the_checksum():
    key = generate_key()
    for position in range(len(PREFIX), len(key)):
        replacement = "A" if key[position] != "A" else "B"
        mistyped = key[:position] + replacement + key[position + 1 :]
        assert not is_well_formed(mistyped), position


def test_wrong_prefix_length_or_alphabet_is_not_well_formed():
    key = generate_key()
    assert not is_well_formed("github_" + key[len(PREFIX) :])
    assert not is_well_formed(key[:-1])
    assert not is_well_formed(key + "0")
    assert not is_well_formed(key[:-7] + "-" + key[-6:])
    assert not is_well_formed("")


def test_display_prefix_is_a_short_start_of_the_key():
    key = generate_key()
    shown = display_prefix(key)
    assert key.startswith(shown)
    assert shown.startswith(PREFIX)
    assert len(shown) == len(PREFIX) + 8


def test_hash_is_keyed_by_the_server_secret():
    key = generate_key()
    first = _api_key_hasher("a" * 40).digest(key)
    assert first == _api_key_hasher("a" * 40).digest(key)
    assert first != _api_key_hasher("b" * 40).digest(key)
    assert first != hashlib.sha256(key.encode()).hexdigest()
    assert len(first) == 64
