"""The service's log lines: one handler, one format, for its own loggers and uvicorn's.

`configure_logging(settings)` sends every record to standard error, at LOG_LEVEL, as text or JSON
(LOG_FORMAT), each line with its time (UTC, ISO 8601), level, logger, message and the request id
of the request it belongs to (`-`, or null in JSON, outside a request). uvicorn's loggers
(`uvicorn`, `uvicorn.error`, `uvicorn.access`, `uvicorn.asgi`) lose their own handlers and follow
LOG_LEVEL, whatever `--log-level` said; `--no-access-log` still turns the access log off. It runs
in `create_app` (so in every worker, after uvicorn configured its logging, with any server) and in
`gatehouse serve` before uvicorn starts (`log_config`, for the supervisor's own lines).

Some libraries write what a request carries at DEBUG (the SMTP client the whole message, reset
links included; SQLAlchemy every statement with its parameters; python-multipart form fields):
they stay at WARNING or above whatever LOG_LEVEL says.
"""

from __future__ import annotations

import logging
import sys
from typing import TYPE_CHECKING, Any

from asgi_correlation_id import CorrelationIdFilter

from app.http.log_lines import (
    LEVELS,
    QUIET_LOGGERS,
    TRACE,
    UVICORN_LOGGERS,
    ServiceHandler,
    default_request_id,
    formatter,
)

if TYPE_CHECKING:
    from app.config import Settings


class RequestIdFilter(CorrelationIdFilter):
    """asgi-correlation-id's filter, under the name the lines use: `request_id`."""

    def __init__(self, default: str | None) -> None:
        super().__init__(default_value=default)

    def filter(self, record: logging.LogRecord) -> bool:
        super().filter(record)
        record.request_id = record.__dict__.pop("correlation_id", None)
        return True


def request_handler(log_format: str) -> logging.Handler:
    """The handler of every line once the application is built: the request's own id in each."""
    handler = ServiceHandler(sys.stderr)
    handler.setFormatter(formatter(log_format))
    handler.addFilter(RequestIdFilter(default_request_id(log_format)))
    return handler


def configure_logging(settings: Settings) -> None:
    """Idempotent: each call replaces the handler of the previous one."""
    level = LEVELS[settings.log_level]
    logging.addLevelName(TRACE, "TRACE")
    root = logging.getLogger()
    for existing in [handler for handler in root.handlers if isinstance(handler, ServiceHandler)]:
        root.removeHandler(existing)
    root.addHandler(request_handler(settings.log_format or "text"))
    root.setLevel(level)
    for name in UVICORN_LOGGERS:
        logger = logging.getLogger(name)
        access_log_off = name == "uvicorn.access" and not logger.handlers and not logger.propagate
        logger.setLevel(level)
        if access_log_off:  # --no-access-log
            continue
        logger.handlers = []
        logger.propagate = True
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(max(level, logging.WARNING))


def uvicorn_log_config(settings: Settings) -> dict[str, Any]:
    """The same configuration as a `logging.config.dictConfig` document, for uvicorn's
    `log_config` (what its supervisor configures before it logs anything)."""
    level = LEVELS[settings.log_level]
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "handlers": {"service": {"()": "app.http.log_lines.make_handler", "log_format": settings.log_format or "text"}},
        "root": {"handlers": ["service"], "level": level},
        "loggers": {
            **{name: {"handlers": [], "propagate": True, "level": level} for name in UVICORN_LOGGERS},
            # Only what logs before `create_app` configures the rest (a logger named here would have
            # the levels of its children reset, passlib's among them).
            "alembic.runtime.plugins": {"level": max(level, logging.WARNING)},
        },
    }
