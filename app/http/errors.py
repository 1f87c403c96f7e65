"""The one place that turns domain errors (`app.core.errors`) into HTTP answers."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.core.errors import BEARER_CHALLENGE, DomainError, MalformedBody


async def _domain_error_handler(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    return JSONResponse(exc.body(), status_code=exc.status_code, headers=exc.headers)


# fastapi-users' errors are codes (`REGISTER_USER_ALREADY_EXISTS`) or {"code", "reason"}; a 400
# whose detail is a sentence comes from FastAPI or Starlette failing to decode the body.
ERROR_CODE = re.compile(r"[A-Z][A-Z0-9_]*")


async def _http_error_handler(request: Request, exc: Exception) -> Any:
    # fastapi-users' own routes raise a bare 401; RFC 6750 wants the Bearer challenge on every
    # 401, so it is added here once instead of in every route.
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400 and isinstance(exc.detail, str) and not ERROR_CODE.fullmatch(exc.detail):
        return await _domain_error_handler(request, MalformedBody())
    if exc.status_code == 401:
        exc.headers = {**BEARER_CHALLENGE, **(exc.headers or {})}
    return await http_exception_handler(request, exc)


# A 422 answer says what is wrong and where, echoing only a short excerpt of each offending input:
# the request itself may be a megabyte, and encoding (and sending) it back would hold the event
# loop for as long as it takes. At most MAX_REPORTED_ERRORS are listed; `omitted_errors` counts
# the rest.
MAX_REPORTED_ERRORS = 20
MAX_ECHOED_CHARACTERS = 64  # of a string input, a key in `loc`, a value in `ctx`
MAX_MESSAGE_CHARACTERS = 200  # of `msg` (a validator's message may quote its input)
MAX_CONTEXT_ENTRIES = 5
LARGEST_ECHOED_INTEGER = 2**63


def _cut(text: str, limit: int = MAX_ECHOED_CHARACTERS) -> str:
    return text if len(text) <= limit else text[:limit] + "..."


def _excerpt(value: object) -> object:
    """A bounded, JSON-ready stand-in for an input: short scalars as they are, long strings cut,
    containers replaced by a marker that says what they were."""
    if value is None or isinstance(value, bool | str):
        return _cut(value) if isinstance(value, str) else value
    if isinstance(value, int):
        return value if abs(value) < LARGEST_ECHOED_INTEGER else "<integer>"
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, bytes | bytearray):
        return _cut(bytes(value[: MAX_ECHOED_CHARACTERS * 4]).decode("utf-8", "replace"))
    if isinstance(value, Mapping):
        return f"<object of {len(value)} members>"
    if isinstance(value, Sequence):
        return f"<array of {len(value)} items>"
    if isinstance(value, BaseException):
        return _cut(str(value), MAX_MESSAGE_CHARACTERS)
    return f"<{type(value).__name__}>"


def _bounded_error(error: Mapping[str, Any]) -> dict[str, Any]:
    bounded: dict[str, Any] = {
        "type": _cut(str(error.get("type", "")), MAX_MESSAGE_CHARACTERS),
        "loc": [part if isinstance(part, int) else _cut(str(part)) for part in error.get("loc", ())[:10]],
        "msg": _cut(str(error.get("msg", "")), MAX_MESSAGE_CHARACTERS),
    }
    if "input" in error:
        bounded["input"] = _excerpt(error["input"])
    context = error.get("ctx")
    if isinstance(context, Mapping) and context:
        bounded["ctx"] = {
            _cut(str(name)): _excerpt(value) for name, value in list(context.items())[:MAX_CONTEXT_ENTRIES]
        }
    return bounded


def validation_error_body(errors: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """FastAPI's 422 shape (`detail`: the errors), bounded, with a `message` like every error."""
    reported = [_bounded_error(error) for error in errors[:MAX_REPORTED_ERRORS]]
    omitted = max(len(errors) - len(reported), 0)
    count = f"{len(errors)} validation error{'s' if len(errors) != 1 else ''}"
    listed = f"; the first {len(reported)} are listed" if omitted else ""
    return {
        "detail": reported,
        "message": f"The request is not valid: {count}{listed}.",
        "omitted_errors": omitted,
    }


async def _validation_error_handler(_: Request, exc: Exception) -> Response:
    # Written with ASCII escapes: an excerpt may hold text that is not valid Unicode (a lone
    # surrogate from a JSON "\ud800"), which cannot be encoded as UTF-8 and would turn the answer
    # into a 500.
    assert isinstance(exc, RequestValidationError)
    body = json.dumps(validation_error_body(exc.errors()), ensure_ascii=True, separators=(",", ":"))
    return Response(body, status_code=422, media_type="application/json")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _domain_error_handler)
    app.add_exception_handler(RequestValidationError, _validation_error_handler)
    app.add_exception_handler(StarletteHTTPException, _http_error_handler)
