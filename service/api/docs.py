"""Interactive API docs at /docs served from local files, so they work on an offline
deployment (FastAPI's default page loads Swagger UI from a CDN). The viewer is Swagger UI 5,
vendored in service/web/static/swagger-ui/: it reads the OpenAPI 3.1 document the app
publishes (the swagger-ui-bundle package's 4.15 could not)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = "/docs-assets"


def install_docs(app: FastAPI) -> None:
    """Mount Swagger UI's assets and the /docs page (needs ``app.docs_url=None``)."""
    viewer = Path(__file__).resolve().parents[1] / "web" / "static" / "swagger-ui"
    app.mount(ASSETS, StaticFiles(directory=str(viewer)), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} API",
            swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS}/favicon-32x32.png",
        )
