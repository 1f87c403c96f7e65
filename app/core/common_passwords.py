"""The shipped list of common and breached passwords, as a compact filter loaded once per process.

Two files in `data/` (their source, version and licence are in `data/README.md`;
`scripts/common_passwords.py` rebuilds both):

* `common_passwords.txt.gz`, the list itself: each password in the form it is compared in,
  NFKC-normalised and case-folded (`fold`), one a line, most common first;
* `common_passwords.digests`, its index: the 64-bit BLAKE2b digest of every line, sorted, as
  little-endian unsigned integers.

The service holds the index alone: 8 bytes a password (about 1.6 MB for 200,000, where a set of
the strings would take over 20 MB in every worker), loaded as it is, without a line to parse, in
milliseconds; a look-up is a binary search of a few microseconds. Two different passwords share a
digest with a chance of about one in 2**64 / 200,000: never, in practice. A test rebuilds the
index from the list and compares.
"""

from __future__ import annotations

import bisect
import functools
import gzip
import hashlib
import sys
import unicodedata
from array import array
from collections.abc import Iterable
from importlib import resources

LIST_FILE = "common_passwords.txt.gz"
INDEX_FILE = "common_passwords.digests"
# The list keeps only what a policy could accept otherwise: from PASSWORD_MIN_LENGTH's lowest
# value to PASSWORD_MAX_LENGTH's highest.
SHORTEST = 8
LONGEST = 1024


def fold(password: str) -> str:
    """NFKC, then Unicode case folding, then NFKC again (folding can undo a composition): the
    form in which two passwords that differ only in case or in Unicode form are the same."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", password).casefold())


def digest(folded: str) -> int:
    return int.from_bytes(hashlib.blake2b(folded.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "little")


def build_index(folded_passwords: Iterable[str]) -> array[int]:
    """The sorted digests of passwords already folded."""
    return array("Q", sorted({digest(password) for password in folded_passwords}))


def index_bytes(index: array[int]) -> bytes:
    """The index as it is stored: little-endian whatever the machine."""
    stored = array("Q", index)
    if sys.byteorder == "big":
        stored.byteswap()
    return stored.tobytes()


class CommonPasswords:
    """`password in common`: whether `password`, folded, is on the list."""

    def __init__(self, index: array[int]) -> None:
        self._digests = index

    @classmethod
    def of(cls, passwords: Iterable[str]) -> CommonPasswords:
        return cls(build_index(fold(password) for password in passwords))

    @classmethod
    def from_index_bytes(cls, data: bytes) -> CommonPasswords:
        index = array("Q")
        index.frombytes(data)
        if sys.byteorder == "big":
            index.byteswap()
        return cls(index)

    def __contains__(self, password: object) -> bool:
        if not isinstance(password, str):
            return False
        wanted = digest(fold(password))
        position = bisect.bisect_left(self._digests, wanted)
        return position < len(self._digests) and self._digests[position] == wanted

    def __len__(self) -> int:
        return len(self._digests)

    @property
    def nbytes(self) -> int:
        """The memory the digests take."""
        return self._digests.itemsize * len(self._digests)


def _data(name: str) -> bytes:
    return resources.files("app.core").joinpath("data", name).read_bytes()


def read_shipped_list() -> list[str]:
    """The shipped list's lines (for checks and tools; the service reads the index alone)."""
    return [line for line in gzip.decompress(_data(LIST_FILE)).decode("utf-8").split("\n") if line]


@functools.cache
def shipped_common_passwords() -> CommonPasswords:
    """The shipped list's index, read at the first call of the process."""
    return CommonPasswords.from_index_bytes(_data(INDEX_FILE))
