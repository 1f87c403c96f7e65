"""The emails of the benchmark's seeded accounts, shaped like a real directory's.

Account number N gets `first<sep>last[k]@domain`: a first and a last name from Faker's en_US lists
(690 x 1,000 pairs, every pair once per round, in an order scattered by a step coprime with the
number of pairs), a separator (`.`, `_`, `-`), the round `k` as digits from the second round on,
and a domain drawn from a fixed mix of mail providers and company domains. Names are letters only
and the separator is not a letter, so an email names its pair and round: no two accounts share an
email. The trigrams of the emails are spread the way a directory's are: some (`gma`, `com`, `son`)
are in a large share of them, most in few.

Ten accounts among the first thousand (COHORT) share the surname COHORT_SURNAME, which no list
name contains: searching for it finds the same ten accounts in the thousand and in the million.
"""

from __future__ import annotations

import math

from faker.providers.person.en_US import Provider as _Names

COHORT_SURNAME = "vandenberghe"
COHORT = range(120, 130)

_FIRST = sorted({name.lower() for name in _Names.first_names})
_LAST = sorted({name.lower() for name in _Names.last_names if COHORT_SURNAME not in name.lower()})
_PAIRS = len(_FIRST) * len(_LAST)
_STEP = next(step for step in range(7_919, _PAIRS) if math.gcd(step, _PAIRS) == 1)
_SEPARATORS = (".", "_", "-")
# (domain, share in percent)
_DOMAINS = (
    ("gmail.com", 30),
    ("yahoo.com", 10),
    ("outlook.com", 10),
    ("hotmail.com", 8),
    ("icloud.com", 6),
    ("proton.me", 3),
    ("example.org", 13),
    ("corp.example.com", 20),
)
_DOMAIN_OF_PERCENT = [domain for domain, share in _DOMAINS for _ in range(share)]
assert len(_DOMAIN_OF_PERCENT) == 100


def seed_email(number: int) -> str:
    """The email of seeded account `number` (0, 1, 2, ...)."""
    round_, index = divmod(number, _PAIRS)
    pair = index * _STEP % _PAIRS
    first, last = _FIRST[pair % len(_FIRST)], _LAST[pair // len(_FIRST)]
    tail = str(round_) if round_ else ""
    if number in COHORT:
        last, tail = COHORT_SURNAME, str(number)
    separator = _SEPARATORS[number % len(_SEPARATORS)]
    domain = _DOMAIN_OF_PERCENT[(number * 2_654_435_761 >> 8) % 100]
    return f"{first}{separator}{last}{tail}@{domain}"
