"""The service's log lines: one format (text or JSON) for its own and uvicorn's records, each with
time, level, logger, message and request id; LOG_LEVEL governs uvicorn's loggers too, whatever
`--log-level` says. In process first, then as real servers write them."""

from __future__ import annotations

import io
import json
import logging
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from app.config import Environment, Settings
from app.http.log_lines import UVICORN_LOGGERS
from app.http.logs import configure_logging
from tests.factories import DEFAULT_PASSWORD, TEST_SECRET
from tests.http.real_server import running

TEXT_LINE = re.compile(
    r"(?P<time>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) (?P<level>[A-Z]+) (?P<logger>\S+) \[(?P<request_id>[^\]]+)\] "
    r"(?P<message>.*)"
)
LOGGERS = ("", *UVICORN_LOGGERS)


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """These tests configure the process's logging; the next test gets it back as it was."""
    saved = {
        name: (list(logger.handlers), logger.level, logger.propagate)
        for name in LOGGERS
        if (logger := logging.getLogger(name))
    }
    try:
        yield
    finally:
        for name, (handlers, level, propagate) in saved.items():
            logger = logging.getLogger(name)
            logger.handlers, logger.propagate = handlers, propagate
            logger.setLevel(level)


@pytest.fixture
def settings_overrides(request: pytest.FixtureRequest) -> dict[str, object]:
    return dict(getattr(request, "param", {}))


def captured(monkeypatch: pytest.MonkeyPatch, settings: Settings) -> io.StringIO:
    """The service's log output from now on (its handler writes to standard error)."""
    output = io.StringIO()
    monkeypatch.setattr(sys, "stderr", output)
    configure_logging(settings)
    return output


def settings_with(**values: object) -> Settings:
    return Settings(_env_file=None, secret_key=TEST_SECRET, **values)  # type: ignore[call-arg]


async def test_a_text_line_has_time_level_logger_request_id_and_message(client, settings, monkeypatch):
    output = captured(monkeypatch, settings)

    response = await client.post("/auth/register", json={"email": "ada@example.com", "password": DEFAULT_PASSWORD})

    lines = [TEXT_LINE.fullmatch(line) for line in output.getvalue().splitlines()]
    registered = [line for line in lines if line and line["message"].startswith("user registered id=")]
    assert len(registered) == 1, output.getvalue()
    assert registered[0]["level"] == "INFO"
    assert registered[0]["logger"] == "app.auth.adapter"
    assert registered[0]["request_id"] == response.headers["x-request-id"]


@pytest.mark.parametrize("settings_overrides", [{"log_format": "json"}], indirect=True)
async def test_a_json_line_has_the_same_fields(client, settings, monkeypatch):
    output = captured(monkeypatch, settings)

    response = await client.post("/auth/register", json={"email": "ada@example.com", "password": DEFAULT_PASSWORD})

    records = [json.loads(line) for line in output.getvalue().splitlines()]
    registered = [record for record in records if record["message"].startswith("user registered id=")]
    assert len(registered) == 1
    record = registered[0]
    assert set(record) >= {"time", "level", "logger", "message", "request_id"}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", record["time"])
    assert (record["level"], record["logger"]) == ("INFO", "app.auth.adapter")
    assert record["request_id"] == response.headers["x-request-id"]


def test_outside_a_request_the_request_id_is_a_dash_or_null(monkeypatch):
    text = captured(monkeypatch, settings_with())
    logging.getLogger("app.example").warning("at start-up")
    as_json = captured(monkeypatch, settings_with(log_format="json"))
    logging.getLogger("app.example").warning("at start-up")

    line = TEXT_LINE.fullmatch(text.getvalue().strip())
    assert line is not None and line["request_id"] == "-"
    assert json.loads(as_json.getvalue())["request_id"] is None


def test_the_format_defaults_to_text_in_development_and_json_in_production():
    production = settings_with(environment=Environment.PRODUCTION, mail_backend="smtp")

    assert settings_with().log_format == "text"
    assert production.log_format == "json"
    assert (
        settings_with(environment=Environment.PRODUCTION, mail_backend="smtp", log_format="TEXT").log_format == "text"
    )


def test_a_bad_log_level_or_format_is_refused():
    with pytest.raises(ValueError, match="log_level"):
        settings_with(log_level="loud")
    with pytest.raises(ValueError, match="log_format"):
        settings_with(log_format="xml")


def test_uvicorn_s_loggers_follow_log_level_and_lose_their_own_handlers(monkeypatch):
    for name in UVICORN_LOGGERS:  # as uvicorn's own configuration leaves them with --log-level debug
        logger = logging.getLogger(name)
        logger.setLevel(logging.DEBUG)
        logger.handlers = [logging.StreamHandler(io.StringIO())]
        logger.propagate = False
    output = captured(monkeypatch, settings_with(log_level="warning"))

    logging.getLogger("uvicorn.error").info("Application startup complete.")
    logging.getLogger("uvicorn.access").info('%s - "%s %s HTTP/%s" %d', "1.2.3.4:5", "GET", "/health", "1.1", 200)
    logging.getLogger("uvicorn.error").warning("a warning")

    for name in UVICORN_LOGGERS:
        logger = logging.getLogger(name)
        assert (logger.level, logger.handlers, logger.propagate) == (logging.WARNING, [], True), name
    assert [TEXT_LINE.fullmatch(line)["message"] for line in output.getvalue().splitlines()] == ["a warning"]


def test_no_access_log_stays_off(monkeypatch):
    access = logging.getLogger("uvicorn.access")
    access.handlers, access.propagate = [], False  # what uvicorn's --no-access-log leaves
    output = captured(monkeypatch, settings_with())

    access.info('%s - "%s %s HTTP/%s" %d', "1.2.3.4:5", "GET", "/health", "1.1", 200)

    assert output.getvalue() == ""


def test_libraries_that_write_secrets_at_debug_stay_at_warning(monkeypatch):
    captured(monkeypatch, settings_with(log_level="debug"))

    assert logging.getLogger("app").getEffectiveLevel() == logging.DEBUG
    for name in ("aiosmtplib", "sqlalchemy.engine", "aiosqlite", "python_multipart"):
        assert logging.getLogger(name).getEffectiveLevel() == logging.WARNING, name


# --- real servers --------------------------------------------------------------------------------
@pytest.mark.processes
def test_a_server_writes_every_line_as_json_with_the_request_id_of_its_access_line(tmp_path: Path):
    with running(
        tmp_path,
        LOG_FORMAT="json",
        FIRST_ADMIN_EMAIL="admin@example.com",
        FIRST_ADMIN_PASSWORD="an-admin-password-long-enough",
    ) as server:
        answer = httpx.get(f"{server.url}/users/me")
    records = [json.loads(line) for line in server.log().splitlines() if line.strip()]

    access = [record for record in records if record["logger"] == "uvicorn.access" and "/users/me" in record["message"]]
    assert [record["request_id"] for record in access] == [answer.headers["x-request-id"]]
    messages = " | ".join(record["message"] for record in records)
    for start_up in (
        "Uvicorn running on http://127.0.0.1:",
        "database migrated from revision",
        "first admin created",
        "starting: environment development, database sqlite at",
    ):
        assert start_up in messages
    assert all(set(record) >= {"time", "level", "logger", "message", "request_id"} for record in records)


@pytest.mark.processes
def test_log_level_wins_over_uvicorn_s_log_level_option(tmp_path: Path):
    with running(tmp_path, options=("--log-level", "debug"), LOG_LEVEL="warning") as server:
        httpx.get(f"{server.url}/health")
    log = server.log()

    assert "Application startup complete" not in log
    assert '"GET /health HTTP/1.1" 200' not in log
    assert all(
        TEXT_LINE.fullmatch(line) and TEXT_LINE.fullmatch(line)["level"] in {"WARNING", "ERROR"}
        for line in log.splitlines()
        if line.strip()
    )
