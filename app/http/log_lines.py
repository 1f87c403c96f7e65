"""The format of the service's log lines, and a handler that writes them: light to import.

uvicorn's supervisor and each worker apply the logging configuration `gatehouse serve` hands
uvicorn (app/http/logs.py) before anything else, and a worker answers its supervisor's health
checks only after that: this module imports nothing of the service and no web framework, so the
configuration costs no start-up time. Outside a request the request id is `-` (null in JSON);
`configure_logging` puts the request's own id there.
"""

from __future__ import annotations

import logging
import sys
import time

from pythonjsonlogger.json import JsonFormatter

TRACE = 5  # uvicorn's level below DEBUG (`--log-level trace`)
LEVELS = {"critical": logging.CRITICAL, "error": logging.ERROR, "warning": logging.WARNING, "info": logging.INFO}
LEVELS |= {"debug": logging.DEBUG, "trace": TRACE}
UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi")
# Never below WARNING: at DEBUG (or INFO) they would write secrets the service handles.
QUIET_LOGGERS = (
    "aiosmtplib",
    "sqlalchemy",
    "aiosqlite",
    "asyncpg",
    "python_multipart",
    "multipart",
    "passlib",
    "alembic.runtime.plugins",  # a line per plugin at every import
)
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
JSON_FIELDS = ("asctime", "levelname", "name", "message", "request_id")
JSON_RENAMES = {"asctime": "time", "levelname": "level", "name": "logger"}
# uvicorn adds a coloured copy of some messages; the plain one is enough.
JSON_SKIPPED = ("color_message",)


def _utc_time(record: logging.LogRecord) -> str:
    seconds = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
    return f"{seconds}.{int(record.msecs):03d}Z"


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return _utc_time(record)


class JsonLineFormatter(JsonFormatter):
    def __init__(self) -> None:
        super().__init__(
            list(JSON_FIELDS),
            rename_fields=JSON_RENAMES,
            reserved_attrs=[*_reserved_attributes(), *JSON_SKIPPED],
        )

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return _utc_time(record)


def _reserved_attributes() -> list[str]:
    from pythonjsonlogger.core import RESERVED_ATTRS

    return list(RESERVED_ATTRS)


class ServiceHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """The one handler of the service's lines (recognised so that configuring twice replaces it)."""


class NoRequestId(logging.Filter):
    """The request id of a line written outside any request."""

    def __init__(self, default: str | None) -> None:
        super().__init__()
        self.default = default

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = self.default
        return True


def formatter(log_format: str) -> logging.Formatter:
    return JsonLineFormatter() if log_format == "json" else TextFormatter()


def default_request_id(log_format: str) -> str | None:
    return None if log_format == "json" else "-"


def make_handler(log_format: str) -> logging.Handler:
    """The handler of the supervisor's lines and a worker's first ones (uvicorn's `log_config`)."""
    handler = ServiceHandler(sys.stderr)
    handler.setFormatter(formatter(log_format))
    handler.addFilter(NoRequestId(default_request_id(log_format)))
    return handler
