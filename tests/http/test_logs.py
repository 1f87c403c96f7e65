"""No token, key, password or reset link in any log line, whatever the client sends.

The filter is driven with a record made the way uvicorn makes its access records; then real
servers (`python -m app` and plain `uvicorn app.main:app`) are sent credentials in every place a
client can put them, and their whole output (access and application logs) is searched for them.
"""

from __future__ import annotations

import logging
from pathlib import Path

import httpx
import pytest
from uvicorn.logging import AccessFormatter
from uvicorn.protocols.utils import get_path_with_query_string

from app.config import Settings
from app.http.access_log import ACCESS_LOGGER, RedactAccessLog, RedactTrace, redacted_path
from app.main import create_app
from tests.factories import DEFAULT_PASSWORD, TEST_SECRET
from tests.http.real_server import PYTHON_M_APP, UVICORN_APP_MAIN, register_and_log_in, running

ACCESS_TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJzZWNyZXQifQ.c2lnbmF0dXJlLW9mLWEtc2VjcmV0LXRva2Vu"


def uvicorn_access_record(path: str, query: bytes) -> logging.LogRecord:
    """An access record as uvicorn's HTTP protocols log it (same message, same arguments)."""
    scope = {"path": path, "query_string": query}
    return logging.getLogger(ACCESS_LOGGER).makeRecord(
        ACCESS_LOGGER,
        logging.INFO,
        __file__,
        0,
        '%s - "%s %s HTTP/%s" %d',
        ("203.0.113.10:50000", "GET", get_path_with_query_string(scope), "1.1", 200),  # type: ignore[arg-type]
        None,
    )


def access_line(record: logging.LogRecord) -> str:
    RedactAccessLog().filter(record)
    return AccessFormatter(fmt='%(client_addr)s - "%(request_line)s" %(status_code)s', use_colors=False).format(record)


def test_the_query_string_of_an_access_record_is_redacted():
    record = uvicorn_access_record("/users/me", f"access_token={ACCESS_TOKEN}&x=1".encode())

    assert access_line(record) == '203.0.113.10:50000 - "GET /users/me?[redacted] HTTP/1.1" 200 OK'


def test_a_path_segment_long_enough_to_be_a_token_is_redacted():
    record = uvicorn_access_record(f"/auth/verify/{ACCESS_TOKEN}", b"")

    assert access_line(record) == '203.0.113.10:50000 - "GET /auth/verify/[redacted] HTTP/1.1" 200 OK'


def test_the_query_string_and_long_path_segments_of_a_traced_scope_are_redacted():
    scope = {
        "type": "http",
        "path": f"/x/{ACCESS_TOKEN}",
        "raw_path": f"/x/{ACCESS_TOKEN}".encode(),
        "query_string": b"a=1",
    }
    record = logging.makeLogRecord({"msg": "%s [%d] Started scope=%s", "args": ("ASGI", 1, scope)})

    RedactTrace().filter(record)

    assert ACCESS_TOKEN not in record.getMessage()
    assert "'query_string': b'[redacted]'" in record.getMessage()


def test_a_path_of_ids_is_written_as_it_is():
    path = "/admin/users/0b7c1a54-3d4e-4f60-9a8b-7c6d5e4f3a2b/revoke-sessions"

    assert redacted_path(path) == path


def test_create_app_installs_the_filter_once_for_uvicorn_app_main_app_too(database_url):
    logger = logging.getLogger(ACCESS_LOGGER)
    settings = Settings(_env_file=None, database_url=database_url, secret_key=TEST_SECRET)  # type: ignore[call-arg]

    create_app(settings)
    create_app(settings)

    assert sum(isinstance(existing, RedactAccessLog) for existing in logger.filters) == 1


@pytest.mark.processes
@pytest.mark.parametrize(
    ("command", "options", "settings"),
    [
        (PYTHON_M_APP, (), {}),
        (UVICORN_APP_MAIN, (), {}),
        (PYTHON_M_APP, ("--log-level", "trace"), {"LOG_LEVEL": "trace"}),
        (PYTHON_M_APP, (), {"LOG_LEVEL": "debug"}),
    ],
    ids=[PYTHON_M_APP, UVICORN_APP_MAIN, "with uvicorn's trace", "LOG_LEVEL=debug"],
)
def test_no_credential_sent_anywhere_in_a_request_reaches_the_server_log(
    tmp_path: Path, command: str, options, settings
):
    with running(tmp_path, command=command, options=options, **settings) as server:
        url = server.url
        tokens = register_and_log_in(url, "logs@example.com")
        access, refresh = tokens["access_token"], tokens["refresh_token"]
        bearer = {"Authorization": f"Bearer {access}"}
        key = httpx.post(f"{url}/api-keys", json={"name": "logs"}, headers=bearer).json()["key"]
        reset_link = "https://app.example.com/reset-password?token=reset-token-" + "r" * 40

        httpx.get(f"{url}/users/me?access_token={access}")
        httpx.get(f"{url}/users/me", params={"api_key": key, "next": reset_link})
        httpx.get(f"{url}/users/me/{access}")
        httpx.get(f"{url}/{key}", headers={"X-API-Key": key})
        httpx.post(f"{url}/auth/jwt/refresh?refresh_token={refresh}", data={"refresh_token": refresh})
        httpx.post(f"{url}/auth/jwt/login", data={"username": "logs@example.com", "password": DEFAULT_PASSWORD})
        httpx.post(f"{url}/auth/forgot-password", json={"email": "logs@example.com"})
        httpx.post(f"{url}/auth/reset-password", json={"token": reset_link, "password": DEFAULT_PASSWORD})
        httpx.get(f"{url}/health?password={DEFAULT_PASSWORD}")
    log = server.log()

    assert '"GET /users/me?[redacted] HTTP/1.1" 401' in log  # the access log is on, and redacted
    for secret in (access, refresh, key, "reset-token-", DEFAULT_PASSWORD):
        assert secret not in log
