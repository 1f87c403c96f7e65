"""The console's pages and assets: served from the package, under a strict policy."""

from __future__ import annotations

import re

import pytest

from app.console.pages import CONSOLE_POLICY, assets

FIRST_LOAD_BUDGET = 300 * 1024


@pytest.mark.parametrize(
    "path", ["/console", "/console/", "/console/sign-in", "/console/users/abc", "/console/reset-password?token=x"]
)
async def test_every_console_path_answers_the_page_with_the_strict_policy(client, path):
    response = await client.get(path)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    policy = response.headers["content-security-policy"]
    assert policy == CONSOLE_POLICY
    assert "script-src 'self';" in policy and "style-src 'self';" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert "frame-ancestors 'none'" in policy
    assert response.headers["x-frame-options"] == "DENY"


async def test_the_page_has_no_inline_script_or_style(client):
    page = (await client.get("/console/")).text

    assert "<style" not in page
    assert " style=" not in page
    for script in re.findall(r"<script[^>]*>(.*?)</script>", page, re.DOTALL):
        assert script.strip() == ""
    assert 'src="/console/assets/main.js"' in page


async def test_the_assets_make_no_use_of_eval_or_other_origins():
    for name, asset in assets().items():
        text = asset.body.decode()
        assert "eval(" not in text and "new Function" not in text, name
        assert "localStorage" not in text and "sessionStorage" not in text, name
        assert "://" not in text, name  # nothing loaded from anywhere but the service


async def test_an_asset_is_served_with_its_type_and_revalidated_by_etag(client):
    response = await client.get("/console/assets/main.js")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    etag = response.headers["etag"]
    again = await client.get("/console/assets/main.js", headers={"If-None-Match": etag})
    assert again.status_code == 304


async def test_an_unknown_asset_is_404(client):
    assert (await client.get("/console/assets/nope.js")).status_code == 404
    traversal = await client.get("/console/assets/..%2F..%2Fconsole%2F__init__.py")
    assert not traversal.headers["content-type"].startswith("text/javascript")
    assert "The web console" not in traversal.text


async def test_the_page_is_served_under_the_root_path(app):
    import httpx

    transport = httpx.ASGITransport(app=app, root_path="/auth-service")
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        page = (await http.get("/auth-service/console/")).text
    assert 'src="/auth-service/console/assets/main.js"' in page


async def test_the_whole_console_is_under_the_first_load_budget(client):
    total = len((await client.get("/console/")).content)
    for name in assets():
        total += len((await client.get(f"/console/assets/{name}")).content)

    assert total < FIRST_LOAD_BUDGET, total
