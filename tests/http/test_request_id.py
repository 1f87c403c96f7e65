"""X-Request-ID: every answer has one; a client's is believed only from a trusted proxy, and only
when it looks like an id."""

from __future__ import annotations

import re

import httpx
import pytest

from app.http.request_id import looks_like_an_id

GENERATED = re.compile(r"[0-9a-f]{32}")
PROXY = "10.0.0.5"


@pytest.fixture
def settings_overrides(request: pytest.FixtureRequest) -> dict[str, object]:
    return dict(getattr(request, "param", {}))


def client_from(app, host: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=(host, 40000)), base_url="http://testserver")


async def test_every_answer_has_a_generated_request_id(client):
    first = await client.get("/health")
    second = await client.get("/health")
    missing = await client.get("/no-such-route")

    ids = [response.headers["x-request-id"] for response in (first, second, missing)]
    assert all(GENERATED.fullmatch(value) for value in ids)
    assert len(set(ids)) == 3


async def test_a_request_id_from_an_untrusted_peer_is_replaced(client):
    response = await client.get("/health", headers={"X-Request-ID": "proxy-id-123"})

    assert response.headers["x-request-id"] != "proxy-id-123"
    assert GENERATED.fullmatch(response.headers["x-request-id"])


@pytest.mark.parametrize("settings_overrides", [{"trusted_proxies": "10.0.0.0/8"}], indirect=True)
async def test_a_request_id_from_a_trusted_proxy_is_kept(app):
    async with client_from(app, PROXY) as proxy:
        response = await proxy.get("/health", headers={"X-Request-ID": "lb-7f3a:0001.x_y-z"})

    assert response.headers["x-request-id"] == "lb-7f3a:0001.x_y-z"


@pytest.mark.parametrize("settings_overrides", [{"trusted_proxies": "10.0.0.0/8"}], indirect=True)
@pytest.mark.parametrize(
    "sent", ["a b", "id\r\nINFO forged line", "x" * 129, "<script>", "id;drop", "é"], ids=lambda value: repr(value)[:12]
)
async def test_a_trusted_proxy_s_request_id_that_does_not_look_like_an_id_is_replaced(app, sent):
    async with client_from(app, PROXY) as proxy:
        response = await proxy.get("/health", headers={"X-Request-ID": sent.encode("utf-8")})

    assert response.status_code == 200
    assert GENERATED.fullmatch(response.headers["x-request-id"])


@pytest.mark.parametrize("settings_overrides", [{"trusted_proxies": "10.0.0.0/8"}], indirect=True)
async def test_the_peer_decides_not_x_forwarded_for(app):
    async with client_from(app, "203.0.113.9") as outsider:
        response = await outsider.get("/health", headers={"X-Request-ID": "forged-id", "X-Forwarded-For": PROXY})

    assert response.headers["x-request-id"] != "forged-id"


def test_what_looks_like_an_id():
    assert looks_like_an_id("0b7c1a54-3d4e-4f60-9a8b-7c6d5e4f3a2b")
    assert not looks_like_an_id("Root=1-67891233-abcdef012345678912345678")  # `=` is not in an id
    assert looks_like_an_id("a" * 128)
    assert not looks_like_an_id("")
    assert not looks_like_an_id("a" * 129)
    assert not looks_like_an_id("two words")


async def test_refusals_before_any_route_carry_the_request_id_too(client):
    response = await client.post(
        "/auth/register", content=b"x" * (2 * 1024 * 1024), headers={"content-type": "application/json"}
    )

    assert response.status_code == 413
    assert GENERATED.fullmatch(response.headers["x-request-id"])
