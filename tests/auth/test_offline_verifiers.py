"""Another service verifies Gatehouse access tokens offline (RS256 and ES256), in a process of its
own, with PyJWT's PyJWKClient and with python-jose: `iss` and the JWKS from the metadata document,
`aud` from JWT_AUDIENCE."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from jose import jwt

pytestmark = pytest.mark.processes

VERIFIER = Path(__file__).with_name("verifier.py")
AUDIENCE = "gatehouse-api"


def verify(metadata_url: str, token: str, audience: str = AUDIENCE) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(VERIFIER), metadata_url, audience, token],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("algorithm", ["RS256", "ES256"])
def test_tokens_verify_in_another_process(live_gatehouse, algorithm):
    server = live_gatehouse(algorithm, JWT_AUDIENCE=AUDIENCE)
    server.register("ada@example.com")
    token = server.login("ada@example.com")["access_token"]
    metadata_url = server.url + "/.well-known/oauth-authorization-server"

    verified = verify(metadata_url, token)
    assert verified.returncode == 0, verified.stderr
    answer = json.loads(verified.stdout)
    assert answer["alg"] == algorithm and answer["typ"] == "at+jwt"
    for claims in (answer["pyjwt"], answer["jose"]):
        assert claims["iss"] == server.url  # PUBLIC_URL is the issuer
        assert claims["aud"] == AUDIENCE
        assert claims["role"] == "user"
        assert claims["amr"] == ["pwd"]
        assert claims["sub"] == jwt.get_unverified_claims(token)["sub"]

    admin = verify(metadata_url, server.admin_token())
    assert json.loads(admin.stdout)["pyjwt"]["role"] == "admin"

    wrong_audience = verify(metadata_url, token, audience="another-service")
    assert wrong_audience.returncode == 1
    assert "Audience" in wrong_audience.stderr or "audience" in wrong_audience.stderr
