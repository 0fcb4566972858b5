"""HTML error pages for browsers, JSON for API clients, from the same handlers.

Each of the app's JSON error handlers is wrapped: the JSON handler decides the status and
the message as before; when the request is for a web route (not ``/v1/``, the OpenAPI
document or the health checks) and its ``Accept`` header prefers HTML, the same status and
message come back as a page. A browser that must sign in is sent to the sign-in page."""

from __future__ import annotations

import json
import re
from typing import Any, Callable
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response

from service.web.browser import Visit
from service.web.errors import SignInRequired
from service.web.templating import page

# the API's HTML scorecard, asked for by a browser without an API key: its web twin uses the cookie
API_SCORECARD = re.compile(r"^/v1/sessions/([A-Za-z0-9_-]+)/scorecard\.html$")
API_PREFIXES = ("/v1/", "/openapi.json", "/docs", "/healthz", "/readyz")
TITLES = {
    400: "That did not work", 401: "Please sign in", 403: "Not allowed", 404: "Not found",
    405: "Not allowed", 409: "Already done", 410: "Deleted", 413: "Too large", 415: "Unsupported file",
    422: "That did not work", 429: "Too many attempts",
}
# Starlette's own details are HTTP reason phrases ("Not Found"); a person reads these instead.
PLAIN = {
    404: "There is no page at this address. Check the link, or start again from the home page.",
    405: "This page cannot be used that way. Start again from the home page.",
}


def prefers_html(accept: str) -> bool:
    """Whether an ``Accept`` header ranks text/html above application/json (``*/*`` alone
    is an API client, e.g. curl)."""
    html_q = json_q = 0.0
    for part in accept.split(","):
        media, *params = (p.strip() for p in part.split(";"))
        q = 1.0
        for p in params:
            if p.startswith("q="):
                try:
                    q = float(p[2:])
                except ValueError:
                    q = 0.0
        if media in ("text/html", "application/xhtml+xml"):
            html_q = max(html_q, q)
        elif media in ("application/json", "application/*"):
            json_q = max(json_q, q)
    return html_q > 0 and html_q >= json_q


def wants_html(request: Request) -> bool:
    path = request.url.path
    return not path.startswith(API_PREFIXES) and prefers_html(request.headers.get("accept", ""))


def install_html_errors(app: FastAPI) -> None:
    """Wrap every exception handler installed so far (call after ``install_handlers``)."""
    for key, handler in list(app.exception_handlers.items()):
        app.exception_handlers[key] = _html_or(handler)


def _html_or(json_handler: Callable) -> Callable:
    async def handler(request: Request, exc: Exception) -> Response:
        response = await json_handler(request, exc)
        to_web = API_SCORECARD.match(request.url.path)
        if to_web and response.status_code == 401 and prefers_html(request.headers.get("accept", "")):
            return RedirectResponse(f"/sessions/{to_web.group(1)}/scorecard.html", status_code=303)
        if not wants_html(request):
            return response
        if isinstance(exc, SignInRequired):
            return RedirectResponse(f"/signin?next={quote(request.url.path)}", status_code=303)
        return error_page(request, response)

    return handler


def _plain(status: int, message: str) -> str:
    """Starlette's reason phrases and the API's "<thing> not found" in words for a person."""
    lowered = message.lower()
    if status in PLAIN and lowered in ("not found", "method not allowed"):
        return PLAIN[status]
    if status == 404 and lowered.endswith(" not found"):
        return f"There is no {message[:-10]} at this address, or it is not one you may see."
    return message


def error_page(request: Request, response: Any) -> Response:
    """The HTML page for a JSON error response (its status, message and extra headers)."""
    status = response.status_code
    try:
        message = json.loads(response.body)["error"]["message"]
    except (ValueError, KeyError, TypeError):
        message = "Something went wrong."
    message = _plain(status, message)
    title = TITLES.get(status, "Something went wrong")
    extra = {k: v for k, v in response.headers.items() if k.lower() in ("retry-after", "www-authenticate")}
    return page(request, Visit(), "error.html.j2", status=status, headers=extra, title=title,
                message=message, status_code=status)
