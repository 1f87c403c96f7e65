"""No secret in any log line, at LOG_LEVEL=debug, through every flow that handles one.

The service runs in process with LOG_LEVEL=debug and real SMTP delivery (an aiosmtpd server in
the test process). Every record any logger of the process emits is kept, from the service, its
libraries and the test client alike (the SMTP test server's own records aside: receiving the
message is its job), and is searched, as its message, its arguments and extra fields, and as the
service's text and JSON lines, for every password, token, refresh token, key, TOTP secret and
code, recovery code, mailed token and link the flows handled. (The real-server test in
tests/http/test_logs.py does the same with uvicorn's access lines, at debug too.)
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator

import pyotp
import pytest

from app.http.log_lines import JsonLineFormatter, TextFormatter
from app.http.logs import RequestIdFilter
from tests.factories import links_in
from tests.mail.smtp import SmtpServer
from tests.mfa.support import install_clock

PASSWORD = "first-password-" + "p" * 12
NEW_PASSWORD = "second-password-" + "q" * 12
WRONG_PASSWORD = "wrong-password-" + "w" * 12
EMAIL = "secrets@example.com"
TEST_INFRASTRUCTURE = ("mail.log",)  # aiosmtpd, the SMTP server of the test


class KeepEverything(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.NOTSET)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def settings_overrides(smtp_server: SmtpServer) -> dict[str, object]:
    return {**smtp_server.settings(), "log_level": "debug", "metrics_enabled": True}


@pytest.fixture
def mail_backend() -> None:
    return None  # the SMTP backend the settings name


@pytest.fixture
def log_records(app) -> Iterator[list[logging.LogRecord]]:
    """Every record from here on (after create_app configured logging at debug)."""
    keeper = KeepEverything()
    root = logging.getLogger()
    root.addHandler(keeper)
    assert root.getEffectiveLevel() == logging.DEBUG
    try:
        yield keeper.records
    finally:
        root.removeHandler(keeper)


def token_of(smtp_server: SmtpServer, page: str) -> tuple[str, str]:
    """(token, the whole link) of the newest mailed link to `page`."""
    for message in reversed(smtp_server.inbox.to(EMAIL)):
        text = message.get_body(preferencelist=("plain",)).get_content()
        for found, token in links_in(message):
            if found == page:
                link = next(line for line in text.split() if "token=" in line and page in line)
                return token, link
    raise AssertionError(f"no {page} link mailed")


def everything_written(records: list[logging.LogRecord]) -> str:
    text, as_json = TextFormatter(), JsonLineFormatter()
    request_id = RequestIdFilter("-")
    written = []
    for record in records:
        if record.name.startswith(TEST_INFRASTRUCTURE):
            continue
        request_id.filter(record)
        written += [text.format(record), as_json.format(record), repr(record.args), repr(vars(record))]
    return "\n".join(written)


async def test_no_secret_of_any_flow_reaches_a_log_line(app, client, smtp_server, log_records):
    secrets: dict[str, str] = {"password": PASSWORD, "new password": NEW_PASSWORD, "wrong password": WRONG_PASSWORD}
    codes: dict[str, str] = {}
    clock = install_clock(app)

    # Registration, and the verification link it mails.
    assert (await client.post("/auth/register", json={"email": EMAIL, "password": PASSWORD})).status_code == 201
    secrets["verify token"], secrets["verify link"] = token_of(smtp_server, "verify")
    assert (await client.post("/auth/verify", json={"token": secrets["verify token"]})).status_code == 200

    # A wrong password, a login, a refresh.
    wrong = await client.post("/auth/jwt/login", data={"username": EMAIL, "password": WRONG_PASSWORD})
    assert wrong.status_code == 400
    login = (await client.post("/auth/jwt/login", data={"username": EMAIL, "password": PASSWORD})).json()
    secrets["access token"], secrets["refresh token"] = login["access_token"], login["refresh_token"]
    bearer = {"Authorization": f"Bearer {login['access_token']}"}
    refreshed = await client.post(
        "/auth/jwt/refresh", data={"grant_type": "refresh_token", "refresh_token": login["refresh_token"]}
    )
    assert refreshed.status_code == 200
    secrets["refreshed access token"] = refreshed.json()["access_token"]
    secrets["second refresh token"] = refreshed.json()["refresh_token"]

    # MFA enrolment, then a login with a TOTP code and one with a recovery code.
    started = await client.post("/users/me/mfa/totp", headers=bearer)
    assert started.status_code == 201, started.text
    secrets["totp secret"] = started.json()["secret"]
    totp = pyotp.TOTP(secrets["totp secret"])
    codes["enrolment code"] = totp.at(clock.now)
    confirmed = await client.post("/users/me/mfa/totp/confirm", json={"code": codes["enrolment code"]}, headers=bearer)
    assert confirmed.status_code == 200, confirmed.text
    recovery_codes = confirmed.json()["recovery_codes"]
    secrets |= {f"recovery code {index}": code for index, code in enumerate(recovery_codes)}
    clock.advance()
    step = await client.post("/auth/jwt/login", data={"username": EMAIL, "password": PASSWORD})
    assert step.status_code == 403
    secrets["mfa token"] = step.json()["mfa_token"]
    codes["login code"] = totp.at(clock.now)
    done = await client.post("/auth/jwt/mfa", data={"mfa_token": secrets["mfa token"], "otp": codes["login code"]})
    assert done.status_code == 200, done.text
    secrets["mfa access token"], secrets["mfa refresh token"] = (
        done.json()["access_token"],
        done.json()["refresh_token"],
    )
    mfa_bearer = {"Authorization": f"Bearer {done.json()['access_token']}"}
    step = await client.post("/auth/jwt/login", data={"username": EMAIL, "password": PASSWORD})
    secrets["second mfa token"] = step.json()["mfa_token"]
    recovered = await client.post(
        "/auth/jwt/mfa", data={"mfa_token": secrets["second mfa token"], "recovery_code": recovery_codes[0]}
    )
    assert recovered.status_code == 200, recovered.text

    # An API key, created and used.
    created = await client.post("/api-keys", json={"name": "script"}, headers=mfa_bearer)
    assert created.status_code == 201, created.text
    secrets["api key"] = created.json()["key"]
    assert (await client.get("/users/me", headers={"X-API-Key": secrets["api key"]})).status_code == 200

    # A password reset through the mailed link.
    assert (await client.post("/auth/forgot-password", json={"email": EMAIL})).status_code == 202
    await app.state.services.mail.deliver_due()
    secrets["reset token"], secrets["reset link"] = token_of(smtp_server, "reset-password")
    reset = await client.post("/auth/reset-password", json={"token": secrets["reset token"], "password": NEW_PASSWORD})
    assert reset.status_code == 200, reset.text
    relogin = await client.post("/auth/jwt/login", data={"username": EMAIL, "password": NEW_PASSWORD})
    assert relogin.status_code == 403  # the second factor is still asked for
    secrets["third mfa token"] = relogin.json()["mfa_token"]
    assert (await client.get("/metrics")).status_code == 200

    written = everything_written(log_records)
    assert len(log_records) > 50  # debug really is on: the flows wrote plenty
    for name, secret in secrets.items():
        assert secret not in written, f"the {name} is in the log"
    for name, code in codes.items():
        assert not re.search(rf"(?<![0-9A-Za-z]){code}(?![0-9A-Za-z])", written), f"the {name} is in the log"
