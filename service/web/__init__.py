"""The web app for people (issue 10): sign-in, invitations, password reset and the pages
that follow. Server-rendered (Jinja2), no JavaScript needed, assets served from the package.

``install_web(app, settings)`` adds it to the API app; call it after the JSON error handlers
are installed."""

from __future__ import annotations

from typing import Any


def install_web(app: Any, settings: Any) -> None:
    """Mount the pages, their static files and the HTML error pages on ``app``."""
    from fastapi.staticfiles import StaticFiles

    from service.ratelimit import make_limiter
    from service.web.negotiate import install_html_errors
    from service.web.routes import router
    from service.web.comments import router as comments_router
    from service.web.corrections import router as corrections_router
    from service.web.debrief import router as debrief_router
    from service.web.listing import router as list_router
    from service.web.session_page import router as session_router
    from service.web.settings_pages import router as settings_router
    from service.web.upload import router as upload_router
    from service.web.trend_pages import router as trend_router
    from service.web.templating import HERE, STATIC_URL

    app.state.web_limiter = make_limiter(settings.signin_rate_per_minute, settings, "signin")
    app.mount(STATIC_URL, StaticFiles(directory=str(HERE / "static")), name="web-static")
    app.include_router(router)
    app.include_router(upload_router)
    app.include_router(list_router)
    app.include_router(session_router)
    app.include_router(comments_router)
    app.include_router(corrections_router)
    app.include_router(trend_router)
    app.include_router(debrief_router)
    app.include_router(settings_router)
    install_html_errors(app)
