"""A database that is busy or does not answer is a 503 with `Retry-After`, never a 500.

* no free connection within DATABASE_POOL_TIMEOUT_SECONDS, or SQLite still locked after its busy
  timeout: 503 `SERVICE_BUSY`;
* a database that refuses, drops or never answers the connection: 503 `DATABASE_UNAVAILABLE`;
* PostgreSQL ended the transaction to resolve a conflict with another one (a deadlock, a
  serialization failure, a lock not available): 503 `SERVICE_BUSY`, and the retry runs alone.

The request's transaction is rolled back with its session, so a 503 changes nothing. Each one is
logged once, with its cause and without a traceback: the cause is outside the service.
"""

from __future__ import annotations

import logging
import socket

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import exc as sa

from app.core.errors import DatabaseUnavailable, ServiceBusy
from app.http.access_log import redacted_path

logger = logging.getLogger(__name__)

BUSY_RETRY_AFTER_SECONDS = 2
UNAVAILABLE_RETRY_AFTER_SECONDS = 5
# Connection-level failures, whether SQLAlchemy wraps them or the driver raises them itself.
UNAVAILABLE = (sa.InterfaceError, sa.DisconnectionError, ConnectionError, socket.gaierror, TimeoutError)
# SQLSTATEs of transactions PostgreSQL rolled back because of another one: deadlock_detected,
# serialization_failure, lock_not_available.
CONFLICTING_TRANSACTION_STATES = frozenset({"40P01", "40001", "55P03"})


def _answer(error: ServiceBusy, request: Request, cause: BaseException) -> JSONResponse:
    first_line = str(cause).strip().splitlines()[0] if str(cause).strip() else ""
    logger.warning(
        "%s %s answered 503 %s: %s: %s",
        request.method,
        redacted_path(request.url.path),
        error.code,
        type(cause).__name__,
        first_line[:300],
    )
    return JSONResponse(error.body(), status_code=error.status_code, headers=error.headers)


async def _pool_timeout(request: Request, exc: Exception) -> JSONResponse:
    return _answer(ServiceBusy(retry_after=BUSY_RETRY_AFTER_SECONDS), request, exc)


async def _operational(request: Request, exc: Exception) -> JSONResponse:
    if "locked" in str(exc).lower() or "busy" in str(exc).lower():  # SQLite: database is locked
        return _answer(ServiceBusy(retry_after=BUSY_RETRY_AFTER_SECONDS), request, exc)
    return _answer(DatabaseUnavailable(retry_after=UNAVAILABLE_RETRY_AFTER_SECONDS), request, exc)


async def _unavailable(request: Request, exc: Exception) -> JSONResponse:
    return _answer(DatabaseUnavailable(retry_after=UNAVAILABLE_RETRY_AFTER_SECONDS), request, exc)


async def _driver_error(request: Request, exc: Exception) -> JSONResponse:
    if getattr(getattr(exc, "orig", None), "sqlstate", None) in CONFLICTING_TRANSACTION_STATES:
        return _answer(ServiceBusy(retry_after=BUSY_RETRY_AFTER_SECONDS), request, exc)
    raise exc  # any other database error is a bug: a 500, with its traceback in the log


def install_database_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(sa.DBAPIError, _driver_error)
    app.add_exception_handler(sa.TimeoutError, _pool_timeout)
    app.add_exception_handler(sa.OperationalError, _operational)
    for kind in UNAVAILABLE:
        app.add_exception_handler(kind, _unavailable)
