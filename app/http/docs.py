"""`/docs` (Swagger UI) and `/redoc` (ReDoc), with their files served by the service itself.

FastAPI's own pages load Swagger UI and ReDoc from a public CDN, so they are blank wherever it
cannot be reached. Here the pages load the copies shipped in the `fastapi-offline` package
(Swagger UI 5, ReDoc 2), served under DOCS_ASSETS_PATH, and nothing from any other host:
no CDN, no web fonts, no remote favicon. Swagger UI's OAuth2 "Authorize" (the password flow)
comes back through its redirect page as usual.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse
from starlette.staticfiles import StaticFiles

DOCS_ASSETS_PATH = "/docs/assets"
SWAGGER_UI_PATH = "/docs"
SWAGGER_UI_OAUTH2_REDIRECT_PATH = "/docs/oauth2-redirect"
REDOC_PATH = "/redoc"
# The pages (HTML with an inline script), which get the docs' own Content-Security-Policy.
DOCS_PAGES = (SWAGGER_UI_PATH, SWAGGER_UI_OAUTH2_REDIRECT_PATH, REDOC_PATH)


def assets_directory() -> Path:
    """Where the installed `fastapi-offline` keeps the Swagger UI and ReDoc files."""
    return Path(str(resources.files("fastapi_offline") / "static"))


def install_docs(app: FastAPI) -> None:
    """Serve the docs pages (DOCS_PAGES) and their files."""
    assert app.openapi_url is not None
    openapi_url = app.openapi_url
    app.mount(DOCS_ASSETS_PATH, StaticFiles(directory=assets_directory()), name="docs-assets")

    @app.get(SWAGGER_UI_PATH, include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_swagger_ui_html(
            openapi_url=f"{root}{openapi_url}",
            title=f"{app.title} - Swagger UI",
            oauth2_redirect_url=f"{root}{SWAGGER_UI_OAUTH2_REDIRECT_PATH}",
            swagger_js_url=f"{root}{DOCS_ASSETS_PATH}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{DOCS_ASSETS_PATH}/swagger-ui.css",
            swagger_favicon_url=f"{root}{DOCS_ASSETS_PATH}/favicon.png",
            swagger_ui_parameters=app.swagger_ui_parameters,
        )

    @app.get(SWAGGER_UI_OAUTH2_REDIRECT_PATH, include_in_schema=False)
    async def swagger_ui_oauth2_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get(REDOC_PATH, include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_redoc_html(
            openapi_url=f"{root}{openapi_url}",
            title=f"{app.title} - ReDoc",
            redoc_js_url=f"{root}{DOCS_ASSETS_PATH}/redoc.standalone.js",
            redoc_favicon_url=f"{root}{DOCS_ASSETS_PATH}/favicon.png",
            with_google_fonts=False,
        )
