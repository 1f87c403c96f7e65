"""`python -m app [uvicorn options]`: the same as `gatehouse serve [uvicorn options]`, e.g.
`--workers 4 --port 8000` (see app/cli/serve.py for the options it gives uvicorn first)."""

from __future__ import annotations

import sys

from app.cli import main

if __name__ == "__main__":
    sys.exit(main(["serve", *sys.argv[1:]]))
