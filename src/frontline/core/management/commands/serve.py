"""``frontline serve``: the web server (uvicorn, ASGI: HTTP and WebSockets) plus one worker.

The worker is a child process (``frontline worker``) started with the same environment; it is
restarted if it dies and terminated when the server stops. ``--no-worker`` serves the web
only, for deployments that run workers separately.
"""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import threading
from argparse import ArgumentParser
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand

logger = logging.getLogger("frontline.serve")

ASGI_APP = "frontline.config.asgi:application"
WORKER_RESTART_DELAY = 5.0
WORKER_STOP_TIMEOUT = 15.0


class WorkerProcess:
    """A ``frontline worker`` child, restarted when it dies until ``stop()``."""

    def __init__(self, argv: list[str] | None = None) -> None:
        self.argv = argv or [sys.executable, "-m", "frontline", "worker"]
        self.process: subprocess.Popen[bytes] | None = None
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._watcher: threading.Thread | None = None

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def start(self) -> None:
        self._spawn()
        self._watcher = threading.Thread(target=self._watch, name="frontline-worker-watch", daemon=True)
        self._watcher.start()

    def _spawn(self) -> None:
        with self._lock:
            if self._stopping.is_set():
                return
            self.process = subprocess.Popen(self.argv)  # inherits env: settings, DATABASE_URL, ...
            logger.info("worker started (pid %s)", self.process.pid)

    def _watch(self) -> None:
        while not self._stopping.is_set():
            process = self.process
            if process is None:
                return
            code = process.wait()
            if self._stopping.is_set():
                return
            logger.error(
                "worker (pid %s) exited with %s; restarting in %.0fs", process.pid, code, WORKER_RESTART_DELAY
            )
            if self._stopping.wait(WORKER_RESTART_DELAY):
                return
            self._spawn()

    def stop(self) -> None:
        with self._lock:
            self._stopping.set()
            process = self.process
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=WORKER_STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            logger.warning(
                "worker (pid %s) did not stop in %.0fs; killing it", process.pid, WORKER_STOP_TIMEOUT
            )
            process.kill()
            process.wait()
        logger.info("worker (pid %s) stopped", process.pid)


class _Stopped(BaseException):
    """SIGTERM/SIGINT reached us (uvicorn re-raises the signal it handled once it has stopped)."""


def _raise_stopped(signum: int, frame: FrameType | None) -> None:
    raise _Stopped(signum)


class Command(BaseCommand):
    help = "Serve Frontline (HTTP + WebSockets) with uvicorn, plus one background worker."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="Address to bind (default: 127.0.0.1).")
        parser.add_argument("--port", type=int, default=8000, help="Port to bind (default: 8000).")
        parser.add_argument("--workers", type=int, default=1, help="Web server processes (default: 1).")
        parser.add_argument(
            "--no-worker",
            action="store_false",
            dest="worker",
            help="Do not start a background worker next to the web server.",
        )

    def handle(self, *args: Any, host: str, port: int, workers: int, worker: bool, **options: Any) -> None:
        import uvicorn

        previous = {
            signum: signal.signal(signum, _raise_stopped) for signum in (signal.SIGINT, signal.SIGTERM)
        }
        child = WorkerProcess() if worker else None
        try:
            if child is not None:
                child.start()
            uvicorn.run(
                ASGI_APP,
                host=host,
                port=port,
                workers=workers,
                lifespan="off",  # Django answers no lifespan events
                log_config=None,  # keep Django's LOGGING (JSON in production)
                server_header=False,
            )
        except _Stopped:
            pass
        finally:
            for signum in previous:  # let nothing interrupt the worker's shutdown
                signal.signal(signum, signal.SIG_IGN)
            if child is not None:
                child.stop()
            for signum, handler in previous.items():
                signal.signal(signum, handler)
