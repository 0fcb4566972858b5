"""FastAPI app factory. Nothing happens at import time: ``create_app()`` builds the app and
its lifespan opens the database (migrating it when ``auto_migrate``), prepares storage and
starts the job runner (default: a worker process, see ``service.jobs``).

Run it with ``coachscore serve`` (uvicorn, factory mode).
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI

from service.settings import Settings, get_settings

if TYPE_CHECKING:
    from service.api.deps import AppContext
    from service.jobs import JobRunner

log = logging.getLogger("coachscore.api")
access_log = logging.getLogger("coachscore.access")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,100}$")


def create_app(settings: Settings | None = None, *, runner: JobRunner | None = None) -> FastAPI:
    """The API app. ``runner`` (a ``service.jobs.JobRunner``) defaults to a worker process
    when ``settings.embedded_worker``, else to a runner that leaves jobs to ``coachscore worker``."""
    from service.api import health, leaders, sessions, share
    from service.api import corrections
    from service.api.docs import install_docs
    from service.errors import install_handlers
    from service.web import install_web

    settings = settings or get_settings()
    app = FastAPI(
        title="coachscore",
        version="1.0.0",
        description="Score how a leader coaches in a recorded 1:1. Authenticate with "
        "`Authorization: Bearer <api key>` (create one with `coachscore admin create-key ORG`).",
        lifespan=_lifespan(settings, runner),
        docs_url=None,
        redoc_url=None,
    )
    install_handlers(app)
    install_docs(app)
    app.add_middleware(HeadAsGetMiddleware)  # inside RequestContextMiddleware (added last)
    for r in (health.router, sessions.router, leaders.router, share.router):
        app.include_router(r)
    app.include_router(corrections.router)  # GET /v1/corrections.jsonl
    install_web(app, settings)  # web pages for people (service.web, issue 10)
    app.add_middleware(RequestContextMiddleware)
    return app


def _lifespan(settings: Settings, runner: JobRunner | None):
    @asynccontextmanager
    async def lifespan(app: FastAPI):
        ctx = open_context(settings, runner)
        app.state.ctx = ctx
        ctx.runner.start(settings)
        log.info("coachscore API ready (database %s, data %s)", _safe_url(settings), ctx.storage.root)
        try:
            yield
        finally:
            ctx.runner.stop()
            ctx.engine.dispose()

    return lifespan


def open_context(settings: Settings, runner: JobRunner | None = None) -> AppContext:
    """Database (migrated if configured), storage, job runner and rate limiter for one app."""
    from service.api.deps import AppContext
    from service.db import make_engine, make_sessionmaker, upgrade
    from service.ratelimit import make_limiter
    from service.storage import StorageError, open_storage

    url = settings.resolved_database_url()
    engine = make_engine(url)
    if settings.auto_migrate:
        upgrade(url, engine)
    storage = open_storage(settings)
    storage.ensure()
    problem = storage.problem()
    if problem:  # the API still starts; /readyz answers 503 with this reason until it is fixed
        log.error("recording storage is not usable: %s", problem)
    else:
        try:
            removed = storage.clean_tmp()
        except StorageError as e:
            log.warning("could not clean up partial uploads: %s", e.message)
            removed = 0
        if removed:
            log.info("removed %d partial upload(s) left by an earlier crash", removed)
    if runner is None:
        runner = _default_runner(settings)
    return AppContext(
        settings, engine, make_sessionmaker(engine), storage, runner,
        make_limiter(settings.rate_limit_per_minute, settings, "api"),
    )


def _default_runner(settings: Settings) -> JobRunner:
    """Celery publisher with ``queue=celery``; else the supervised worker process, or none."""
    from service.jobs import NullRunner, ProcessRunner

    if settings.queue == "celery":
        from service.jobs.distributed import CeleryRunner

        return CeleryRunner()
    return ProcessRunner() if settings.embedded_worker else NullRunner()


def _safe_url(settings: Settings) -> str:
    url = settings.resolved_database_url()
    return re.sub(r"//[^@/]*@", "//***@", url)


class RequestContextMiddleware:
    """Request ids (``X-Request-ID`` in and out), one JSON access-log line per request,
    and baseline security headers on every response."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = _request_id(scope)
        scope.setdefault("state", {})["request_id"] = rid
        started, status = time.perf_counter(), [500]

        async def send_wrapper(message: dict) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
                headers = message.setdefault("headers", [])
                headers.append((b"x-request-id", rid.encode()))
                headers.append((b"x-content-type-options", b"nosniff"))
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            access_log.info(json.dumps({
                "request_id": rid, "method": scope["method"], "path": scope["path"], "status": status[0],
                "ms": round((time.perf_counter() - started) * 1000, 2),
                "org_id": scope["state"].get("org_id"),
            }))


class HeadAsGetMiddleware:
    """HEAD works wherever GET does: the request is routed as a GET and the response keeps
    its status and headers (Content-Length included) but sends no body."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def headers_only(message: dict) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, headers_only)


def _request_id(scope: dict) -> str:
    for name, value in scope.get("headers", []):
        if name == b"x-request-id":
            text = value.decode("latin-1")
            if _REQUEST_ID.match(text):
                return text
    return uuid.uuid4().hex
