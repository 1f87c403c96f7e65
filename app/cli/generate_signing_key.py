"""Write a new private key for signing access tokens with RS256 (RSA, 3072 bits) or ES256 (P-256),
as an unencrypted PEM file readable by its owner alone (mode 0600). An existing file is never
overwritten.

  gatehouse generate-signing-key --algorithm ES256 --out jwt.pem
  JWT_ALGORITHM=ES256 JWT_PRIVATE_KEY_FILE=jwt.pem gatehouse serve
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from app.core.signing_keys import ALGORITHMS, generate_private_key_pem, key_id

NAME = "generate-signing-key"
HELP = "write a new RS256 or ES256 private key (PEM, mode 0600) for JWT_PRIVATE_KEY_FILE"
FAILED = 1


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--algorithm", required=True, choices=ALGORITHMS, type=str.upper, help="the JWT_ALGORITHM")
    parser.add_argument("--out", required=True, type=Path, help="the file to create (never overwritten)")


def run(arguments: argparse.Namespace, extra: list[str]) -> int:
    path: Path = arguments.out
    pem = generate_private_key_pem(arguments.algorithm)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        print(f"error: {path} exists; choose another --out (a key file is never overwritten)", file=sys.stderr)
        return FAILED
    except OSError as error:
        print(f"error: cannot create {path}: {error.strerror or error}", file=sys.stderr)
        return FAILED
    with os.fdopen(descriptor, "wb") as handle:
        os.fchmod(handle.fileno(), 0o600)
        handle.write(pem)
    print(f"wrote {arguments.algorithm} key {key_id(pem)} to {path}")
    print(f"use it with: JWT_ALGORITHM={arguments.algorithm} JWT_PRIVATE_KEY_FILE={path}")
    return 0
