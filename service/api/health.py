"""Liveness (/healthz: the process answers) and readiness (/readyz: DB at head, recording
storage usable - the local disk writable and, with S3, the bucket reachable with the
credentials - and, when the server runs its own worker, that worker alive and reporting)."""

from __future__ import annotations

import logging

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from service.api.deps import AppContext, Ctx

router = APIRouter(tags=["health"])
log = logging.getLogger("coachscore.api")


@router.get("/healthz")
def healthz() -> dict:
    return {"status": "ok"}


@router.get("/readyz")
def readyz(ctx: Ctx) -> JSONResponse:
    storage_problem = ctx.storage.problem()
    checks = {"database": _db_ok(ctx), "storage": storage_problem is None}
    reasons = [_FAILED[name] for name, ok in checks.items() if not ok and name in _FAILED]
    if storage_problem:
        reasons.append(storage_problem)
    worker_problem = ctx.runner.problem()
    checks["worker"] = worker_problem is None
    if worker_problem:
        reasons.append(worker_problem)
    ok = not reasons
    body = {"status": "ok" if ok else "unavailable", "checks": checks, "reasons": reasons}
    return JSONResponse(body, status_code=200 if ok else 503)


_FAILED = {
    "database": "the database cannot be reached or is not migrated (run `coachscore db upgrade`)",
}


def _db_ok(ctx: AppContext) -> bool:
    from service.db import current_revision, head_revision

    try:
        with ctx.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return current_revision(ctx.engine) == head_revision()
    except Exception as e:  # readiness reports, never raises
        log.warning("readiness: database check failed: %s", e)
        return False
