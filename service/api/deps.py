"""Shared request dependencies: the app context, a DB session per request, the caller."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, AsyncIterator

from fastapi import Depends, Request
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from service.auth import Principal, principal_from_request
from service.errors import ApiError
from service.ratelimit import RateLimiter
from service.render import CSP
from service.settings import Settings
from service.storage import Storage

if TYPE_CHECKING:
    from service.jobs.runners import JobRunner

HTML_SECURITY_HEADERS = {
    # the scorecard's own policy (its <meta> tag) plus what only a header can say
    "Content-Security-Policy": f"{CSP}; frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "private, no-store",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


@dataclass
class AppContext:
    settings: Settings
    engine: Engine
    factory: sessionmaker
    storage: Storage
    runner: JobRunner
    limiter: RateLimiter = field(default_factory=lambda: RateLimiter(0))

    @property
    def base_url(self) -> str:
        return self.settings.public_base_url.rstrip("/")


def get_ctx(request: Request) -> AppContext:
    return request.app.state.ctx


async def get_db(request: Request) -> AsyncIterator[Session]:
    """A DB session per request. Async so that reads skip the threadpool hop: the queries
    are short, and readers never wait for the worker's writes (WAL / MVCC)."""
    with get_ctx(request).factory() as db:
        yield db


async def get_principal(request: Request, db: Annotated[Session, Depends(get_db)]) -> Principal:
    """The authenticated caller, within its key's request rate (429 with Retry-After above)."""
    principal = principal_from_request(request, db)
    limiter = get_ctx(request).limiter
    wait = limiter.take(principal.key_id)
    if wait > 0:
        per_minute = int(limiter.capacity)
        raise ApiError(
            429, "too_many_requests",
            f"this API key is over its limit of {per_minute} requests per minute; retry in {wait:.1f} s",
            headers={"Retry-After": RateLimiter.retry_after(wait)},
        )
    return principal


Ctx = Annotated[AppContext, Depends(get_ctx)]
Db = Annotated[Session, Depends(get_db)]
Caller = Annotated[Principal, Depends(get_principal)]
