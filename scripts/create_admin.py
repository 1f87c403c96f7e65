#!/usr/bin/env python3
"""Create an admin account, or promote an existing one: `gatehouse create-admin` from a checkout.

    .venv/bin/python scripts/create_admin.py --email admin@example.com          # asks for the password
    GATEHOUSE_ADMIN_PASSWORD=... .venv/bin/python scripts/create_admin.py --email admin@example.com
    .venv/bin/python scripts/create_admin.py --promote --email someone@example.com

Takes the options of `gatehouse create-admin` (see `gatehouse create-admin --help`).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.cli import main

if __name__ == "__main__":
    sys.exit(main(["create-admin", *sys.argv[1:]]))
