"""The text rules every input goes through: storable, printable, normalised."""

from __future__ import annotations

import unicodedata

from app.core.emails import normalise_email
from app.core.text import has_control_characters, is_storable, normalise_password


def test_a_lone_surrogate_is_not_storable():
    assert not is_storable("abc\ud800")


def test_nul_is_not_storable():
    assert not is_storable("abc\x00def")


def test_ordinary_unicode_is_storable():
    assert is_storable("Grüße, 東京 🙂")


def test_control_characters_are_found():
    assert has_control_characters("tab\there")
    assert not has_control_characters("no controls at all")


def test_composed_and_decomposed_emails_are_one_address():
    composed = "Jos\u00e9@Example.com"
    decomposed = unicodedata.normalize("NFD", composed)
    assert composed != decomposed
    assert normalise_email(composed) == normalise_email(decomposed) == "jos\u00e9@example.com"


def test_passwords_are_nfkc_normalised():
    assert normalise_password("\ufb01xture") == "fixture"  # the "fi" ligature
