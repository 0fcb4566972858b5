"""Liveness (/healthz: the process answers) and readiness (/readyz: DB at head, storage
writable, and - when the server runs its own worker - that worker alive and reporting)."""

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
    checks = {"database": _db_ok(ctx), "storage": _storage_ok(ctx)}
    reasons = [_FAILED[name] for name, ok in checks.items() if not ok]
    worker_problem = ctx.runner.problem()
    checks["worker"] = worker_problem is None
    if worker_problem:
        reasons.append(worker_problem)
    ok = not reasons
    body = {"status": "ok" if ok else "unavailable", "checks": checks, "reasons": reasons}
    return JSONResponse(body, status_code=200 if ok else 503)


_FAILED = {
    "database": "the database cannot be reached or is not migrated (run `coachscore db upgrade`)",
    "storage": "recording storage is not writable",
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


def _storage_ok(ctx: AppContext) -> bool:
    try:
        probe = ctx.storage.root / "tmp" / ".ready"
        probe.parent.mkdir(parents=True, exist_ok=True)
        probe.write_bytes(b"ok")
        probe.unlink()
        return True
    except OSError as e:
        log.warning("readiness: storage check failed: %s", e)
        return False
