"""The password policy's rules, without HTTP: lengths, the common-password list, the context rule.
(tests/users/test_password_rules_on_routes.py checks every route that sets a password.)"""

from __future__ import annotations

import pytest

from app.config import ConfigurationError, Settings
from app.core.common_passwords import CommonPasswords
from app.users.errors import PasswordRejected
from app.users.password_policy import CONTAINS_CONTEXT, TOO_COMMON, PasswordPolicy, letters
from tests.support import fullwidth

POLICY = PasswordPolicy()


def refusal(password: str, *, email: str | None = "carol@example.com", policy: PasswordPolicy = POLICY) -> str:
    with pytest.raises(PasswordRejected) as refused:
        policy.check(password, email=email)
    return refused.value.reason


@pytest.mark.parametrize("password", ["password1234", "PASSWORD1234", "Password1234", fullwidth("PASSWORD1234")])
def test_a_common_password_is_refused_in_any_case_or_unicode_form(password):
    assert refusal(password) == TOO_COMMON


def test_the_refusal_of_a_common_password_has_a_sentence_for_people():
    with pytest.raises(PasswordRejected) as refused:
        POLICY.check("qwertyuiop123", email="carol@example.com", creating=True)

    assert refused.value.body() == {
        "detail": {"code": "REGISTER_INVALID_PASSWORD", "reason": TOO_COMMON},
        "message": refused.value.detail_message,
    }
    assert "common" in refused.value.detail_message


@pytest.mark.parametrize(
    ("password", "email"),
    [
        ("alexandra2024!!!!", "alexandra@example.com"),
        ("Gatehouse-1234", "carol@example.com"),
        ("gAtEhOuSe 2026 !!", None),
        ("carol@example.com", "carol@example.com"),
        ("Carol.Example.Com.2024", "carol@example.com"),
        ("1 Carol 2 Example 3 Com", "carol@example.com"),
        (fullwidth("carol12345678"), "carol@example.com"),  # fullwidth: NFKC first
    ],
)
def test_the_email_its_local_part_or_the_product_give_or_take_digits_and_symbols_are_refused(password, email):
    assert refusal(password, email=email) == CONTAINS_CONTEXT


@pytest.mark.parametrize(
    ("password", "email"),
    [
        ("Carol-new-password-77", "carol@example.com"),
        ("alexandra-in-wonderland", "alexandra@example.com"),
        ("ALEXANDRA-1990-xx", "alexandra@example.com"),  # letters "alexandraxx": another word
        ("bob-1234567890", "bob@example.com"),  # a local part under 4 letters is not held against it
        ("123456789-!#%&", "carol@example.com"),  # no letters at all: nothing to compare
        ("a-long-enough-password", None),
    ],
)
def test_a_password_that_only_contains_the_context_is_allowed(password, email):
    POLICY.check(password, email=email)


def test_the_local_part_counts_its_letters_alone():
    assert letters("ab12@example.com") == "abexamplecom"
    POLICY.check("ab-1234567890", email="ab12@example.com")  # "ab": 2 letters


def test_letters_drops_digits_symbols_and_spaces_and_folds_case():
    assert letters("Ça-va 2024! ÉTÉ") == "çavaété"
    assert letters("Straße") == "strasse"


def test_lengths_come_from_the_settings():
    policy = PasswordPolicy.from_settings(Settings(_env_file=None, password_min_length=15, password_max_length=64))  # type: ignore[call-arg]

    with pytest.raises(PasswordRejected, match="at least 15"):
        policy.check("fourteen-chars", email=None)
    policy.check("fifteen-letters", email=None)
    policy.check("x" * 64, email=None)
    with pytest.raises(PasswordRejected, match="at most 64"):
        policy.check("x" * 65, email=None)


def test_the_default_minimum_is_12_and_the_maximum_256():
    settings = Settings(_env_file=None)  # type: ignore[call-arg]

    assert (settings.password_min_length, settings.password_max_length) == (12, 256)
    assert PasswordPolicy.from_settings(settings) == POLICY


@pytest.mark.parametrize(
    "values",
    [
        {"password_min_length": 7},
        {"password_max_length": 63},
        {"password_max_length": 1025},
    ],
)
def test_lengths_outside_their_bounds_are_refused(values):
    with pytest.raises(ValueError):
        Settings(_env_file=None, **values)  # type: ignore[call-arg]


def test_a_minimum_above_the_maximum_is_refused():
    with pytest.raises(ConfigurationError, match="PASSWORD_MIN_LENGTH"):
        Settings(_env_file=None, password_min_length=100, password_max_length=64)  # type: ignore[call-arg]


def test_a_policy_can_be_given_its_own_list():
    policy = PasswordPolicy(common=CommonPasswords.of(["our-house-password"]))

    assert refusal("OUR-HOUSE-PASSWORD", policy=policy) == TOO_COMMON
    policy.check("password1234-but-longer", email=None)


def test_length_and_printability_keep_their_sentences_as_reasons():
    assert "at least 12" in refusal("short")
    assert "printable" in refusal("tab\there-and-there")
