"""Run the service with uvicorn: `gatehouse serve [uvicorn options]`, e.g. `--workers 4 --port 8000`.

Before uvicorn starts, the settings, the signing keys and the rate-limit storage are checked and
the database is waited for (STARTUP_CONNECT_TIMEOUT_SECONDS) as each worker's start-up would: a
refusal prints one line naming the setting and exits with status 2.

Same as `uvicorn app.main:app`, with these options first (any given on the command line win):

  --no-proxy-headers      uvicorn's own X-Forwarded-For handling is off: Gatehouse reads that
                          header itself, and only from the proxies in TRUSTED_PROXIES.
  --http app.http.server:HeadLimitedHttpTools, --h11-max-incomplete-event-size 65536
                          a request line and headers over 64 KiB are refused as they arrive.

Every other option is uvicorn's: --host, --port, --workers (or WEB_CONCURRENCY), --log-level,
--http h11, ... (`python -m uvicorn --help` lists them).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from pathlib import Path

from app.cli.refusals import REFUSALS_FILE_VARIABLE, REFUSED, Refused, load_settings
from app.cli.startup import check_startup
from app.http.server import uvicorn_options

NAME = "serve"
HELP = "run the service (uvicorn's options pass through)"
WORKERS_VARIABLE = "WEB_CONCURRENCY"
# app.main:app, with a worker's own start-up refusals in one line (app/cli/worker.py).
APPLICATION = "app.cli.worker:app"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.usage = "gatehouse serve [-h] [uvicorn options]"
    parser.epilog = "Example: gatehouse serve --host 0.0.0.0 --port 8000 --workers 2"


def run(arguments: argparse.Namespace, extra: list[str]) -> int:
    workers = workers_option(extra)
    if workers is not None:
        # The workers learn their count from the environment, as uvicorn and gunicorn tell it:
        # the per-worker warnings (memory:// rate limits) then hold however the count was given.
        os.environ[WORKERS_VARIABLE] = workers
    settings = load_settings()
    findings = asyncio.run(check_startup(settings))
    if findings.problems:
        raise Refused(findings.problems)
    for warning in findings.warnings:
        print(f"warning: {warning}", file=sys.stderr)

    from uvicorn.main import main as uvicorn

    refusals = _refusals_file()
    try:
        uvicorn.main([APPLICATION, *uvicorn_options(), *extra], prog_name="gatehouse serve")
    except SystemExit:
        if refusals is not None and refusals.read_text().strip():
            raise SystemExit(REFUSED) from None
        raise
    finally:
        if refusals is not None:
            refusals.unlink(missing_ok=True)


def _refusals_file() -> Path | None:
    """Where a worker that meets a refusal of its own writes it (app/cli/worker.py). Without a
    writable temporary directory (a read-only root file system), workers still log it in one line."""
    try:
        descriptor, name = tempfile.mkstemp(prefix="gatehouse-refusals-")
    except OSError:
        return None
    os.close(descriptor)
    os.environ[REFUSALS_FILE_VARIABLE] = name
    return Path(name)


def workers_option(extra: list[str]) -> str | None:
    """The value of uvicorn's `--workers N` (or `--workers=N`) among the options, the last one."""
    found = None
    for index, option in enumerate(extra):
        if option == "--workers" and index + 1 < len(extra):
            found = extra[index + 1]
        elif option.startswith("--workers="):
            found = option.partition("=")[2]
    return found
