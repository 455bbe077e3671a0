"""Periodic jobs: a scheduler that runs inside every worker and claims each tick once.

The jobs are declared in one place, ``frontline.config.schedule.SCHEDULE`` (the settings
``SCHEDULE`` names it; ``FRONTLINE_EXTRA_SCHEDULE`` may add entries). Time is cut into
windows of ``interval`` seconds aligned on the Unix epoch (a daily job's window starts at
00:00 UTC). On every tick (``SCHEDULER_TICK_SECONDS``) each worker's scheduler looks at each
job; when the job's current window has not been seen yet, it tries to INSERT
``ScheduledRun(job, tick_start)``. The unique constraint lets exactly one insert succeed,
whichever database and however many workers; that worker enqueues the job's task in the same
transaction (so with the database task backend the claim and the task row commit together).

A job therefore runs at most once per window, at the first tick of a worker inside it. Tasks
must be idempotent anyway (``STYLE.md``).
"""

from __future__ import annotations

import logging
import os
import re
import socket
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError, close_old_connections, connections, transaction
from django.tasks import Task
from django.utils import timezone
from django.utils.module_loading import import_string

from .models import ScheduledRun

logger = logging.getLogger(__name__)

_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,99}$")


class ScheduleError(ValueError):
    """The schedule is malformed (bad name, interval or task path)."""


@dataclass(frozen=True)
class ScheduleEntry:
    """A periodic job: run the task at ``task`` (dotted path) once every ``interval`` seconds."""

    name: str
    task: str
    interval: int

    def __post_init__(self) -> None:
        if not _NAME.match(self.name):
            raise ScheduleError(f"job name {self.name!r} must match {_NAME.pattern}")
        if not isinstance(self.interval, int) or self.interval <= 0:
            raise ScheduleError(f"job {self.name!r}: interval must be a positive number of seconds")
        if "." not in self.task:
            raise ScheduleError(f"job {self.name!r}: task must be a dotted path, got {self.task!r}")

    def load_task(self) -> Task[..., Any]:
        task = import_string(self.task)
        if not hasattr(task, "enqueue") or not hasattr(task, "func"):
            raise ScheduleError(f"job {self.name!r}: {self.task} is not a django.tasks Task")
        return task


def parse_extra_schedule(raw: str) -> list[ScheduleEntry]:
    """Parse ``FRONTLINE_EXTRA_SCHEDULE``: ``name=dotted.path.to.task@seconds``, comma-separated."""
    entries = []
    for item in raw.split(","):
        item = item.strip()
        if not item:
            continue
        name, sep, rest = item.partition("=")
        path, at, seconds = rest.rpartition("@")
        if not sep or not at or not seconds.strip().isdigit():
            raise ScheduleError(f"extra schedule entry {item!r} must look like name=dotted.path@seconds")
        entries.append(ScheduleEntry(name.strip(), path.strip(), int(seconds)))
    return entries


def load_schedule() -> list[ScheduleEntry]:
    """The declared schedule plus ``FRONTLINE_EXTRA_SCHEDULE``; names must be unique."""
    entries = list(import_string(settings.SCHEDULE)) + parse_extra_schedule(settings.SCHEDULE_EXTRA)
    seen: set[str] = set()
    for entry in entries:
        if entry.name in seen:
            raise ScheduleError(f"job name {entry.name!r} is declared twice")
        seen.add(entry.name)
    return entries


def tick_start(now: datetime, interval: int) -> datetime:
    """Start of the ``interval``-second window containing ``now`` (windows aligned on the epoch)."""
    seconds = int(now.timestamp())
    return datetime.fromtimestamp(seconds - seconds % interval, tz=UTC)


def default_worker_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"[-64:]


def claim_and_enqueue(entry: ScheduleEntry, start: datetime, *, worker_id: str) -> ScheduledRun | None:
    """Claim ``entry``'s window starting at ``start``; enqueue its task if the claim is ours.

    Returns the new ``ScheduledRun``, or ``None`` when another scheduler claimed it first.
    """
    task = entry.load_task()
    try:
        with transaction.atomic():
            run = ScheduledRun.objects.create(job=entry.name, tick_start=start, claimed_by=worker_id)
            result = task.enqueue()
            run.task_result_id = str(result.id)[:64]
            run.save(update_fields=["task_result_id"])
    except IntegrityError:
        logger.debug("scheduled job %s: tick %s already claimed", entry.name, start.isoformat())
        return None
    logger.info(
        "scheduled job %s enqueued for tick %s",
        entry.name,
        start.isoformat(),
        extra={"job": entry.name, "task_result_id": run.task_result_id},
    )
    return run


class Scheduler:
    """Claims due ticks. ``run_pending()`` is one tick; ``run_forever()`` loops until ``stop()``."""

    def __init__(
        self,
        entries: Iterable[ScheduleEntry] | None = None,
        *,
        worker_id: str | None = None,
        tick_seconds: float | None = None,
        clock: Callable[[], datetime] = timezone.now,
    ) -> None:
        self.entries = list(load_schedule() if entries is None else entries)
        self.worker_id = worker_id or default_worker_id()
        self.tick_seconds = float(settings.SCHEDULER_TICK_SECONDS if tick_seconds is None else tick_seconds)
        self.clock = clock
        self._seen: dict[str, datetime] = {}
        self._stop = threading.Event()

    def run_pending(self) -> list[ScheduledRun]:
        """Try to claim the current window of every job not seen in it yet; return our claims."""
        now = self.clock()
        claimed = []
        for entry in self.entries:
            start = tick_start(now, entry.interval)
            if self._seen.get(entry.name) == start:
                continue
            try:
                run = claim_and_enqueue(entry, start, worker_id=self.worker_id)
            except Exception:
                # Database down, queue down, bad task path: log it and retry on the next tick.
                logger.exception("scheduled job %s could not be claimed or enqueued", entry.name)
                continue
            self._seen[entry.name] = start
            if run is not None:
                claimed.append(run)
        return claimed

    def run_forever(self) -> None:
        logger.info(
            "scheduler started: %d job(s), tick %.1fs, worker %s",
            len(self.entries),
            self.tick_seconds,
            self.worker_id,
        )
        try:
            while not self._stop.is_set():
                close_old_connections()
                self.run_pending()
                close_old_connections()
                self._stop.wait(self.tick_seconds)
        finally:
            connections.close_all()
            logger.info("scheduler stopped")

    def stop(self) -> None:
        self._stop.set()

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    def start_thread(self) -> threading.Thread:
        thread = threading.Thread(target=self.run_forever, name="frontline-scheduler", daemon=True)
        thread.start()
        return thread
