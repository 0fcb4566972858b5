"""The web pages' one Jinja environment (autoescape, strict undefined) and ``page()``,
which renders a template into a response with the site's security headers and cookie."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from service.web.browser import Visit, apply_cookie

HERE = Path(__file__).resolve().parent
STATIC_URL = "/web-static"
WEB_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self' data:; script-src 'self'; "
    "connect-src 'self'; media-src 'self'; frame-src 'self'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",  # invitation and reset tokens travel in the path
    "Cache-Control": "no-store",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


def when(at: datetime | None) -> str:
    """A date as people write it, e.g. '3 May 2026'; '' for None."""
    return f"{at.day} {at:%b %Y}" if at else ""


@lru_cache(maxsize=1)
def env() -> Environment:
    e = Environment(
        loader=FileSystemLoader(str(HERE / "templates")),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
    )
    e.filters["when"] = when
    e.globals["static"] = lambda name: f"{STATIC_URL}/{name}"
    return e


def _cookie_args(request: Request) -> dict:
    settings = request.app.state.ctx.settings
    return {"hours": settings.web_session_hours, "https": settings.public_base_url.startswith("https://")}


def page(request: Request, visit: Visit, template: str, status: int = 200,
         headers: dict | None = None, **context: Any) -> HTMLResponse:
    """``template`` rendered for this visit (``user`` and ``csrf_token`` are always defined)."""
    html = env().get_template(template).render(
        user=visit.user, csrf_token=visit.web.csrf_token if visit.web else "", **context
    )
    response = HTMLResponse(html, status_code=status, headers={**WEB_HEADERS, **(headers or {})})
    apply_cookie(response, visit, request, **_cookie_args(request))
    return response


def redirect(request: Request, visit: Visit, url: str) -> RedirectResponse:
    """A 303 to ``url`` (a path on this site) carrying the visit's cookie change."""
    response = RedirectResponse(url, status_code=303, headers={"Cache-Control": "no-store"})
    apply_cookie(response, visit, request, **_cookie_args(request))
    return response
