"""Run the service with uvicorn: `gatehouse serve [uvicorn options]`, e.g. `--workers 4 --port 8000`.

Before uvicorn starts, the settings, the signing keys and the rate-limit storage are checked and
the database is waited for (STARTUP_CONNECT_TIMEOUT_SECONDS) as each worker's start-up would: a
refusal prints one line naming the setting and exits with status 2.

Same as `uvicorn app.main:app`, with these options first (any given on the command line win):

  --no-proxy-headers      uvicorn's own X-Forwarded-For handling is off: Gatehouse reads that
                          header itself, and only from the proxies in TRUSTED_PROXIES.
  --http app.http.server:HeadLimitedHttpTools, --h11-max-incomplete-event-size 65536
                          a request line and headers over 64 KiB are refused as they arrive.

and these after them (they win):

  --log-config, --log-level
                          the service's own logging (LOG_LEVEL, LOG_FORMAT; app/http/logs.py),
                          for uvicorn's supervisor too.

Every other option is uvicorn's: --host, --port, --workers (or WEB_CONCURRENCY), --http h11,
--no-access-log, ... (`python -m uvicorn --help` lists them).

With several workers, the metrics of every worker are added up (app/core/metrics.py): `serve`
makes a directory for their files (or empties PROMETHEUS_MULTIPROC_DIR, when set) and names it
in PROMETHEUS_MULTIPROC_DIR before uvicorn starts them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from app.cli.refusals import REFUSALS_FILE_VARIABLE, REFUSED, Refused, load_settings
from app.cli.startup import check_startup
from app.config import Settings
from app.core.metrics import MULTIPROCESS_DIRECTORY_VARIABLE, clear_stale_files
from app.http.logs import configure_logging, uvicorn_log_config
from app.http.server import uvicorn_options

logger = logging.getLogger("app.cli.serve")

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
    configure_logging(settings)
    findings = asyncio.run(check_startup(settings))
    if findings.problems:
        raise Refused(findings.problems)
    for fact in findings.facts:
        logger.info("%s", fact)
    for warning in findings.warnings:
        logger.warning("%s", warning)

    from uvicorn.main import main as uvicorn

    refusals = _refusals_file()
    try:
        with _log_config(settings) as log_options, _metrics_directory(settings):
            uvicorn.main([APPLICATION, *uvicorn_options(), *extra, *log_options], prog_name="gatehouse serve")
    except SystemExit:
        if refusals is not None and refusals.read_text().strip():
            raise SystemExit(REFUSED) from None
        raise
    finally:
        if refusals is not None:
            refusals.unlink(missing_ok=True)


@contextmanager
def _log_config(settings: Settings) -> Iterator[list[str]]:
    """uvicorn's `--log-config` (a file: uvicorn's command line takes nothing else) and
    `--log-level`, from LOG_LEVEL and LOG_FORMAT. Without a writable temporary directory, the
    supervisor's few lines keep uvicorn's format; the workers' lines are the service's anyway."""
    options = ["--log-level", settings.log_level]
    try:
        descriptor, name = tempfile.mkstemp(prefix="gatehouse-logging-", suffix=".json")
    except OSError:
        yield options
        return
    with os.fdopen(descriptor, "w") as file:
        json.dump(uvicorn_log_config(settings), file)
    try:
        yield ["--log-config", name, *options]
    finally:
        Path(name).unlink(missing_ok=True)


@contextmanager
def _metrics_directory(settings: Settings) -> Iterator[None]:
    """With several workers and metrics on, the directory where each worker writes its figures,
    named to them in PROMETHEUS_MULTIPROC_DIR (read when they import prometheus-client) and
    emptied of an earlier run's files. Made here and removed at the end, unless the operator
    named one."""
    if settings.web_concurrency < 2 or not settings.metrics_enabled:
        yield
        return
    named = os.environ.get(MULTIPROCESS_DIRECTORY_VARIABLE)
    try:
        directory = Path(named) if named else Path(tempfile.mkdtemp(prefix="gatehouse-metrics-"))
        clear_stale_files(directory)
    except OSError as error:
        logger.warning(
            "no directory for the workers' metrics (%s): each scrape shows the figures of the one worker that "
            "answers it; set %s to a writable directory",
            error,
            MULTIPROCESS_DIRECTORY_VARIABLE,
        )
        yield
        return
    os.environ[MULTIPROCESS_DIRECTORY_VARIABLE] = str(directory)
    try:
        yield
    finally:
        if not named:
            shutil.rmtree(directory, ignore_errors=True)


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
