"""``frontline worker``: run background tasks and the periodic-job scheduler.

With the database task backend (``TASKS_BACKEND=db``) this is django-tasks-db's worker loop;
with ``TASKS_BACKEND=rq`` an RQ worker on the configured queues; with the immediate backend
tasks run where they are enqueued and only the scheduler runs. The scheduler
(``frontline.core.scheduling``) runs in a thread of every worker. SIGTERM or SIGINT stops the
worker after the task in hand (a second signal stops it at once).
"""

from __future__ import annotations

import logging
import signal
import threading
from argparse import ArgumentParser
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.tasks import DEFAULT_TASK_BACKEND_ALIAS, task_backends

from frontline.core.scheduling import Scheduler, default_worker_id

logger = logging.getLogger("frontline.worker")

_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Command(BaseCommand):
    help = "Run background tasks and the periodic-job scheduler (stops cleanly on SIGTERM/SIGINT)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--queue-name",
            default="default",
            help="Queues to process, comma-separated; '*' for all (database backend). Default: default.",
        )
        parser.add_argument(
            "--interval",
            type=float,
            default=1.0,
            help="Seconds to wait for new tasks when the queue is empty (database backend). Default: 1.",
        )
        parser.add_argument("--worker-id", default="", help="Unique name of this worker (default: host-pid).")
        parser.add_argument(
            "--no-scheduler",
            action="store_false",
            dest="scheduler",
            help="Do not run the periodic-job scheduler in this worker.",
        )

    def handle(
        self, *args: Any, queue_name: str, interval: float, worker_id: str, scheduler: bool, **options: Any
    ) -> None:
        worker_id = (worker_id or default_worker_id())[:64]
        backend = task_backends[DEFAULT_TASK_BACKEND_ALIAS]
        sched = Scheduler(worker_id=worker_id) if scheduler else None
        thread = sched.start_thread() if sched else None
        try:
            from django_tasks_db.backend import DatabaseBackend

            if isinstance(backend, DatabaseBackend):
                self._run_db_worker(queue_name, interval, worker_id, sched)
            elif settings.TASKS_BACKEND == "rq":
                self._run_rq_worker(queue_name, worker_id)
            else:
                logger.info(
                    "task backend %s runs tasks inline: only the scheduler runs", type(backend).__name__
                )
                self._wait_for_signal()
        finally:
            if sched is not None and thread is not None:
                sched.stop()
                thread.join(timeout=10)
        logger.info("worker %s stopped", worker_id)

    def _run_db_worker(
        self, queue_name: str, interval: float, worker_id: str, sched: Scheduler | None
    ) -> None:
        from django_tasks_db.management.commands.db_worker import Worker

        queue_names = queue_name.split(",")
        worker = Worker(
            queue_names=queue_names,
            interval=interval,
            batch=False,
            backend_name=DEFAULT_TASK_BACKEND_ALIAS,
            startup_delay=True,
            max_tasks=None,
            worker_id=worker_id,
            excluded_queue_names=[],
        )

        def shutdown(signum: int, frame: FrameType | None) -> None:
            if sched is not None:
                sched.stop()
            worker.shutdown(signum, frame)  # exits at once when idle, after the task otherwise

        for signum in _STOP_SIGNALS:
            signal.signal(signum, shutdown)
        logger.info("worker %s processing queue(s) %s", worker_id, queue_name)
        try:
            worker.run()
        except SystemExit as exc:
            if exc.code not in (0, None):
                raise
        finally:
            worker.reset_signals()

    def _run_rq_worker(self, queue_name: str, worker_id: str) -> None:
        import django_rq
        from django_tasks_rq import Job

        queue_names = list(settings.RQ_QUEUES) if queue_name == "*" else queue_name.split(",")
        unknown = sorted(set(queue_names) - set(settings.RQ_QUEUES))
        if unknown:
            raise CommandError(f"queue(s) not in RQ_QUEUES: {', '.join(unknown)}")
        # SimpleWorker runs jobs in this process: no fork() of a process that has a scheduler
        # thread and open database connections.
        worker = django_rq.get_worker(
            *queue_names, job_class=Job, worker_class="rq.worker.SimpleWorker", name=worker_id
        )
        logger.info("worker %s processing RQ queue(s) %s", worker_id, ",".join(queue_names))
        worker.work(with_scheduler=True, logging_level=logging.getLevelName(logger.getEffectiveLevel()))

    def _wait_for_signal(self) -> None:
        stop = threading.Event()

        def shutdown(signum: int, frame: FrameType | None) -> None:
            logger.warning("received %s - shutting down", signal.strsignal(signum))
            stop.set()

        previous = {signum: signal.signal(signum, shutdown) for signum in _STOP_SIGNALS}
        try:
            while not stop.wait(1.0):
                pass
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
