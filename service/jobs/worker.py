"""A worker: one per process, claiming queued jobs and running them on
``worker_concurrency`` threads, heartbeating the jobs it holds and recovering those of
dead workers while it polls; the retention purge runs on a thread of its own."""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
import time
from typing import Callable

from service import retention, webhooks
from service.db import make_engine, make_sessionmaker
from service.jobs import queue, recovery
from service.jobs.execution import JobExecutor
from service.pipeline import ModelSet
from service.settings import Settings
from service.storage import open_storage

log = logging.getLogger("coachscore.jobs")
PURGE_JOIN_S = 10.0  # how long a stopping worker waits for a purge in flight (it commits once, at its end)


class Worker:
    """Claims and runs jobs with ``models``; ``parent_pid`` set: exits when that process is gone."""

    def __init__(
        self, settings: Settings, models: ModelSet, *, parent_pid: int | None = None,
        webhook_post: webhooks.Post | None = None,
    ) -> None:
        self.settings = settings
        self.parent_pid = parent_pid
        self.engine = make_engine(settings.resolved_database_url())
        self.factory = make_sessionmaker(self.engine)
        self.executor = JobExecutor(settings, models, self.factory, open_storage(settings))
        self.webhooks = webhooks.WebhookSender(settings, webhook_post)
        self.id = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
        self._running: set[str] = set()
        self._lock = threading.Lock()
        self._purge: threading.Thread | None = None  # the retention purge in flight, if any

    def run_pending(self) -> int:
        """Recover stale jobs, then run queued jobs until none is left; return how many."""
        self.recover_stale()
        count = 0
        while (job_id := self.claim()) is not None:
            self.run_job(job_id)
            count += 1
        return count

    def run_forever(self, stop: threading.Event, on_tick: Callable[[], None] | None = None) -> None:
        """Poll and run jobs on ``worker_concurrency`` threads until ``stop`` is set;
        ``on_tick`` is called every few seconds while the loop is alive (a heartbeat)."""
        self.recover_stale()
        threads = [
            threading.Thread(target=self._loop, args=(stop,), name=f"job-{i}", daemon=True)
            for i in range(self.settings.worker_concurrency)
        ]
        for t in threads:
            t.start()
        last_recover, next_purge = time.monotonic(), time.monotonic()
        while not stop.is_set():
            if on_tick is not None:
                on_tick()
            self._check_parent()
            queue.heartbeat(self.factory, self._held(), self.id)
            self.webhooks.deliver_due(self.factory)
            if time.monotonic() - last_recover > self.settings.job_lease_s / 4:
                self.recover_stale()
                last_recover = time.monotonic()
            if time.monotonic() >= next_purge and self.start_purge():
                next_purge = time.monotonic() + self.settings.retention_purge_s
            stop.wait(min(2.0, self.settings.job_lease_s / 6))
        for t in threads:
            t.join(timeout=1)
        if self._purge is not None:
            self._purge.join(timeout=PURGE_JOIN_S)

    def _loop(self, stop: threading.Event) -> None:
        while not stop.is_set():
            job_id = self.claim()
            if job_id is None:
                stop.wait(self.settings.job_poll_s)
                continue
            self.run_job(job_id)

    def claim(self) -> str | None:
        """Claim the oldest queued job for this worker; None when there is none."""
        job_id = queue.claim(self.factory, self.id)
        if job_id is not None:
            with self._lock:
                self._running.add(job_id)
        return job_id

    def run_job(self, job_id: str) -> None:
        try:
            self.executor.run(job_id, owner=self.id)
        finally:
            with self._lock:
                self._running.discard(job_id)

    def start_purge(self) -> bool:
        """Start the retention purge on a thread of its own, off the heartbeat loop (a big
        purge deletes many files); one at a time: False while the last one still runs."""
        if self._purge is not None and self._purge.is_alive():
            log.info("retention purge still running; the next one waits for it")
            return False
        self._purge = threading.Thread(target=self.purge_retention, name="retention-purge", daemon=True)
        self._purge.start()
        return True

    def purge_retention(self) -> None:
        """The retention purge (``service.retention``); a failure is logged, never fatal."""
        try:
            retention.purge(self.factory, self.executor.storage, self.settings)
        except Exception:
            log.exception("retention purge failed; it runs again in %g s", self.settings.retention_purge_s)

    def recover_stale(self) -> int:
        return recovery.recover_stale(self.factory, self.settings, self.id)

    def release_running(self) -> int:
        """Put this worker's in-flight jobs back in the queue (graceful stop)."""
        return recovery.release(self.factory, self._held())

    def _held(self) -> list[str]:
        with self._lock:
            return list(self._running)

    def _check_parent(self) -> None:
        if self.parent_pid is not None and os.getppid() != self.parent_pid:
            log.error("server process %s is gone; worker exits", self.parent_pid)
            os._exit(3)

    def close(self) -> None:
        self.webhooks.close()
        self.engine.dispose()
