"""No credential in the server's logs of requests, whatever the client puts in the URL.

uvicorn writes each request's path with its query string (`GET /users/me?access_token=... 200`);
a client that sends a token, key or reset link in the URL would have it written to disk and
shipped to wherever the logs go. These filters write the query string as `?[redacted]` and any
path segment longer than MAX_SEGMENT_CHARACTERS (longer than a UUID, as every token and key is)
as `[redacted]`: on `uvicorn.access`, the access log, and on `uvicorn.asgi`, the scopes that
`--log-level trace` writes. Headers and bodies are never logged by uvicorn (its trace writes
only their sizes). `create_app` installs the filters, so they hold for `python -m app`,
`uvicorn app.main:app` and gunicorn's uvicorn workers alike.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

ACCESS_LOGGER = "uvicorn.access"
TRACE_LOGGER = "uvicorn.asgi"
MAX_SEGMENT_CHARACTERS = 40
REDACTED = "[redacted]"


def redacted_path(path: str) -> str:
    path, query_mark, _ = path.partition("?")
    if len(path) > MAX_SEGMENT_CHARACTERS:
        path = "/".join(REDACTED if len(part) > MAX_SEGMENT_CHARACTERS else part for part in path.split("/"))
    return path + (f"?{REDACTED}" if query_mark else "")


def _redacted_scope(scope: Mapping[str, Any]) -> dict[str, Any]:
    redacted = dict(scope)
    if redacted.get("query_string"):
        redacted["query_string"] = REDACTED.encode()
    for key in ("path", "raw_path"):
        value = redacted.get(key)
        if isinstance(value, str):
            redacted[key] = redacted_path(value)
        elif isinstance(value, bytes):
            redacted[key] = redacted_path(value.decode("latin-1")).encode("latin-1")
    return redacted


class RedactAccessLog(logging.Filter):
    """Rewrites uvicorn's access record, `(client, method, path with query, HTTP version, status)`."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) == 5 and isinstance(args[2], str):
            record.args = (args[0], args[1], redacted_path(args[2]), args[3], args[4])
        return True


class RedactTrace(logging.Filter):
    """Rewrites the scope in uvicorn's trace records (`... Started scope=%s`)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and any(isinstance(arg, Mapping) and "query_string" in arg for arg in args):
            record.args = tuple(
                _redacted_scope(arg) if isinstance(arg, Mapping) and "query_string" in arg else arg for arg in args
            )
        return True


def install_access_log_filter() -> None:
    """Once per process; logging configuration (uvicorn's dictConfig) keeps a logger's filters."""
    for name, kind in ((ACCESS_LOGGER, RedactAccessLog), (TRACE_LOGGER, RedactTrace)):
        logger = logging.getLogger(name)
        if not any(isinstance(existing, kind) for existing in logger.filters):
            logger.addFilter(kind())
