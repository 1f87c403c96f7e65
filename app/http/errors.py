"""The one place that turns domain errors (`app.core.errors`) into HTTP answers."""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.core.errors import BEARER_CHALLENGE, DomainError


async def _domain_error_handler(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    return JSONResponse(exc.body(), status_code=exc.status_code, headers=exc.headers)


async def _http_error_handler(request: Request, exc: Exception) -> Any:
    # fastapi-users' own routes raise a bare 401; RFC 6750 wants the Bearer challenge on every
    # 401, so it is added here once instead of in every route.
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 401:
        exc.headers = {**BEARER_CHALLENGE, **(exc.headers or {})}
    return await http_exception_handler(request, exc)


async def _validation_error_handler(_: Request, exc: Exception) -> Response:
    # FastAPI's own 422 body, echoing the input, written with ASCII escapes: input that is not
    # valid Unicode (a lone surrogate from a JSON "\ud800") cannot be encoded as UTF-8 and would
    # turn the answer into a 500.
    assert isinstance(exc, RequestValidationError)
    body = json.dumps({"detail": jsonable_encoder(exc.errors())}, ensure_ascii=True, separators=(",", ":"))
    return Response(body, status_code=422, media_type="application/json")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _domain_error_handler)
    app.add_exception_handler(RequestValidationError, _validation_error_handler)
    app.add_exception_handler(StarletteHTTPException, _http_error_handler)
