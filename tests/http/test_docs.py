"""/docs and /redoc work offline: every file they load is served by the service itself."""

from __future__ import annotations

import re

import pytest

from app.http.docs import DOCS_ASSETS_PATH

PAGES = ["/docs", "/redoc", "/docs/oauth2-redirect"]
# Every URL an HTML page can make the browser fetch: src, href, and the spec ReDoc loads.
_REFERENCE = re.compile(r"""(?:src|href|spec-url|url)\s*[=:]\s*['"]([^'"]+)['"]""", re.IGNORECASE)


def references(page: str) -> list[str]:
    return _REFERENCE.findall(page)


def policy_of(response) -> dict[str, list[str]]:
    directives = (part.strip().split() for part in response.headers["Content-Security-Policy"].split(";"))
    return {name: values for name, *values in directives}


@pytest.mark.parametrize("path", PAGES)
async def test_the_docs_pages_name_no_other_host(client, path):
    response = await client.get(path)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert not re.search(r"(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}", response.text, re.IGNORECASE), response.text


@pytest.mark.parametrize("path", PAGES)
async def test_the_docs_policy_allows_this_origin_only(client, path):
    policy = policy_of(await client.get(path))

    for name, values in policy.items():
        for value in values:
            assert value in {"'self'", "'none'", "'unsafe-inline'", "data:", "blob:"} or value.startswith("'sha256-"), (
                name,
                value,
            )
    assert "'unsafe-inline'" not in policy["script-src"]
    assert policy["frame-ancestors"] == ["'none'"]


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
async def test_every_file_a_docs_page_loads_is_served(client, path):
    page = (await client.get(path)).text
    loaded = [url for url in references(page) if url.startswith("/")]

    assert any(url.startswith(DOCS_ASSETS_PATH) for url in loaded)
    for url in loaded:
        response = await client.get(url)
        assert response.status_code == 200, url
        assert response.content, url


@pytest.mark.parametrize(
    ("asset", "kind"),
    [
        ("swagger-ui-bundle.js", "javascript"),
        ("swagger-ui.css", "text/css"),
        ("redoc.standalone.js", "javascript"),
        ("favicon.png", "image/png"),
    ],
)
async def test_the_assets_are_served_with_their_types(client, asset, kind):
    response = await client.get(f"{DOCS_ASSETS_PATH}/{asset}")

    assert response.status_code == 200
    assert kind in response.headers["content-type"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert len(response.content) > 1000


async def test_the_swagger_bundle_is_swagger_ui_5(client):
    bundle = (await client.get(f"{DOCS_ASSETS_PATH}/swagger-ui-bundle.js")).text

    assert "SwaggerUIBundle" in bundle
    assert re.search(r'"5\.\d+\.\d+"', bundle)


async def test_an_unknown_asset_is_404(client):
    assert (await client.get(f"{DOCS_ASSETS_PATH}/nothing.js")).status_code == 404
    assert (await client.get(f"{DOCS_ASSETS_PATH}/../../app/config.py")).status_code == 404


async def test_swagger_ui_is_set_up_for_the_password_flow_redirect(client):
    page = (await client.get("/docs")).text
    redirect = await client.get("/docs/oauth2-redirect")

    assert "oauth2RedirectUrl: window.location.origin + '/docs/oauth2-redirect'" in page
    assert "'/openapi.json'" in page
    assert redirect.status_code == 200 and "oauth2" in redirect.text


async def test_the_password_flow_the_authorize_button_uses_is_documented(client):
    document = (await client.get("/openapi.json")).json()
    flows = [scheme.get("flows", {}) for scheme in document["components"]["securitySchemes"].values()]

    assert {"password": {"scopes": {}, "tokenUrl": "auth/token"}} in flows


async def test_the_docs_are_not_operations_of_the_api(client):
    paths = (await client.get("/openapi.json")).json()["paths"]

    assert not {"/docs", "/redoc", "/docs/oauth2-redirect"} & set(paths)
    assert not any(path.startswith(DOCS_ASSETS_PATH) for path in paths)
