"""How the app runs its jobs. A ``JobRunner`` is what the app starts and stops:
``ProcessRunner`` (default) runs a Worker in a child process started with the server;
``NullRunner`` leaves jobs to a separate ``coachscore worker``; tests use ``InlineRunner``
and call ``run_pending()``."""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
from typing import Protocol

from service import webhooks
from service.jobs.worker import Worker
from service.pipeline import ModelSet, models_for
from service.settings import Settings

log = logging.getLogger("coachscore.jobs")


class JobRunner(Protocol):
    def start(self, settings: Settings) -> None: ...
    def notify(self) -> None: ...
    def stop(self) -> None: ...


class NullRunner:
    """Accepts jobs and runs none (an external ``coachscore worker`` processes them)."""

    def start(self, settings: Settings) -> None:
        pass

    def notify(self) -> None:
        pass

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

    def notify(self) -> None:
        pass

    def run_pending(self) -> int:
        assert self.worker is not None, "runner not started (use the app's lifespan)"
        count = self.worker.run_pending()
        self.worker.webhooks.deliver_due(self.worker.factory)
        return count

    def stop(self) -> None:
        if self.worker is not None:
            self.worker.close()


class ProcessRunner:
    """Runs a Worker in a child process (spawned, so models load there, once).

    No shared multiprocessing primitives: a worker killed mid-wait would leave them
    locked. The worker polls the DB every ``job_poll_s`` and stops on SIGTERM.
    """

    def __init__(self) -> None:
        self._proc: multiprocessing.process.BaseProcess | None = None

    def start(self, settings: Settings) -> None:
        ctx = multiprocessing.get_context("spawn")
        self._proc = ctx.Process(
            target=worker_process_main, args=(settings, os.getpid()), name="coachscore-worker", daemon=True
        )
        self._proc.start()
        log.info("started worker process pid %s", self._proc.pid)

    def notify(self) -> None:
        """Nothing to do: the worker polls the database."""

    def stop(self) -> None:
        if self._proc is None:
            return
        self._proc.terminate()
        self._proc.join(timeout=15)
        if self._proc.is_alive():
            log.warning("worker did not stop in 15 s; killing it")
            self._proc.kill()
            self._proc.join(timeout=5)
        self._proc = None


def worker_process_main(settings: Settings, parent_pid: int | None) -> None:
    """Entry point of the worker process (also used by ``coachscore worker``).
    SIGTERM/SIGINT stop it; a job in flight is put back in the queue."""
    import signal

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
        worker.run_forever(stop)
    finally:
        worker.release_running()
        worker.close()
