"""How the app runs its jobs. A ``JobRunner`` is what the app starts and stops:
``ProcessRunner`` (default) runs a Worker in a child process started with the server;
``NullRunner`` leaves jobs to a separate ``coachscore worker``; tests use ``InlineRunner``
and call ``run_pending()``."""

from __future__ import annotations

import logging
import multiprocessing
import os
import socket
import threading
import time
from typing import Any, Protocol

from service import webhooks
from service.db import make_engine, make_sessionmaker
from service.jobs import recovery
from service.jobs.worker import Worker
from service.pipeline import ModelSet, models_for
from service.settings import Settings

log = logging.getLogger("coachscore.jobs")


class JobRunner(Protocol):
    def start(self, settings: Settings) -> None: ...
    def notify(self, session_id: str | None = None) -> None: ...
    def problem(self) -> str | None: ...
    def stop(self) -> None: ...


class NullRunner:
    """Accepts jobs and runs none (an external ``coachscore worker`` processes them)."""

    def start(self, settings: Settings) -> None:
        pass

    def notify(self, session_id: str | None = None) -> None:
        pass

    def problem(self) -> str | None:
        return None

    def stop(self) -> None:
        pass


class InlineRunner:
    """Runs jobs in the calling thread when ``run_pending`` is called (tests, scripts);
    ``models`` None: the ones ``settings.model_backend`` names."""

    def __init__(self, models: ModelSet | None = None, post: webhooks.Post | None = None) -> None:
        self.models = models
        self.post = post
        self.worker: Worker | None = None

    def start(self, settings: Settings) -> None:
        self.worker = Worker(settings, self.models or models_for(settings), webhook_post=self.post)

    def notify(self, session_id: str | None = None) -> None:
        pass

    def problem(self) -> str | None:
        return None

    def run_pending(self) -> int:
        assert self.worker is not None, "runner not started (use the app's lifespan)"
        count = self.worker.run_pending()
        self.worker.webhooks.deliver_due(self.worker.factory)
        return count

    def stop(self) -> None:
        if self.worker is not None:
            self.worker.close()


class ProcessRunner:
    """Runs a Worker in a child process (spawned, so models load there, once) and
    supervises it: a child that dies (or stops reporting for
    ``worker_heartbeat_timeout_s``) is logged, its job requeued (the attempt counts, so a
    job that keeps killing workers fails after ``job_max_attempts``) and a new child started.

    No shared multiprocessing locks: a worker killed mid-wait would leave them held. The
    heartbeat is one lock-free shared double (wall-clock seconds); the worker polls the DB.
    """

    CHECK_S = 0.5  # how often the supervisor looks at the child, seconds

    def __init__(self) -> None:
        self._proc: multiprocessing.process.BaseProcess | None = None
        self._beat: Any = None
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._settings: Settings | None = None
        self._spawned_at = 0.0
        self.restarts = 0

    def start(self, settings: Settings) -> None:
        self._settings = settings
        self._beat = _CTX.Value("d", 0.0, lock=False)
        self._spawn()
        self._thread = threading.Thread(target=self._supervise, name="worker-supervisor", daemon=True)
        self._thread.start()

    def _spawn(self) -> None:
        self._spawned_at = self._beat.value = time.time()  # a new child gets a full timeout to start
        self._proc = _CTX.Process(
            target=worker_process_main, args=(self._settings, os.getpid(), self._beat),
            name="coachscore-worker", daemon=True,
        )
        self._proc.start()
        log.info("started worker process pid %s", self._proc.pid)

    def notify(self, session_id: str | None = None) -> None:
        """Nothing to do: the worker polls the database."""

    def problem(self) -> str | None:
        """Why jobs cannot run now (no live worker, or a silent one); None when they can."""
        if self._proc is None or not self._proc.is_alive():
            return "the job worker process is not running (the server is restarting it)"
        age = time.time() - self._beat.value
        if age > self._settings.worker_heartbeat_timeout_s:
            return f"the job worker process has not reported for {age:.0f} s"
        return None

    def _supervise(self) -> None:
        backoff = 1.0
        while not self._stopping.wait(self.CHECK_S):
            proc = self._proc
            if proc.is_alive() and self.problem() is None:
                continue
            if proc.is_alive():
                log.error("worker process pid %s is hung (%s); killing it", proc.pid, self.problem())
                proc.kill()
            proc.join(timeout=10)
            if self._stopping.is_set():
                return
            log.error("worker process pid %s died (exit code %s); starting a new one", proc.pid, proc.exitcode)
            self._requeue_orphans()
            backoff = min(30.0, backoff * 2) if time.time() - self._spawned_at < 10 else 1.0
            if self._stopping.wait(backoff / 2):  # a child that dies at once is not restarted in a tight loop
                return
            self.restarts += 1
            self._spawn()

    def _requeue_orphans(self) -> None:
        """Requeue (or fail, out of attempts) the jobs of the dead child, and say how many."""
        settings = self._settings
        engine = make_engine(settings.resolved_database_url())
        try:
            me = f"{socket.gethostname()}:{os.getpid()}:supervisor"
            n = recovery.recover_stale(make_sessionmaker(engine), settings, me)
            log.warning("requeued or failed %d job(s) held by the dead worker", n)
        except Exception:  # the new worker recovers them at start anyway
            log.exception("could not recover the dead worker's jobs now; the new worker will")
        finally:
            engine.dispose()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=15)
            self._thread = None
        if self._proc is None:
            return
        self._proc.terminate()
        self._proc.join(timeout=15)
        if self._proc.is_alive():
            log.warning("worker did not stop in 15 s; killing it")
            self._proc.kill()
            self._proc.join(timeout=5)
        self._proc = None


_CTX = multiprocessing.get_context("spawn")


def worker_process_main(settings: Settings, parent_pid: int | None, beat: Any = None) -> None:
    """Entry point of the worker process (also used by ``coachscore worker``). ``beat``: a
    shared double the loop stamps with time.time() (the supervisor's heartbeat).
    SIGTERM/SIGINT stop it; a job in flight is put back in the queue."""
    import signal

    if beat is not None:
        beat.value = time.time()

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # models come from local paths only
    os.environ.setdefault("PYANNOTE_METRICS_ENABLED", "false")
    if settings.worker_nice:
        os.nice(settings.worker_nice)  # jobs yield the CPU to the API's requests
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    worker = Worker(settings, models_for(settings), parent_pid=parent_pid)
    try:
        worker.run_forever(stop, on_tick=None if beat is None else lambda: setattr(beat, "value", time.time()))
    finally:
        worker.release_running()
        worker.close()
