"""Base models every app builds on. Data rules only."""

from django.db import models


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class ScheduledRun(models.Model):
    """One claimed tick of a periodic job (see ``frontline.core.scheduling``).

    Every worker runs the scheduler; the unique constraint lets exactly one of them insert the
    row for a given job and tick, and only that one enqueues the job's task.
    """

    job = models.CharField(max_length=100)
    tick_start = models.DateTimeField()
    claimed_at = models.DateTimeField(auto_now_add=True, db_index=True)
    claimed_by = models.CharField(max_length=64, blank=True)
    task_result_id = models.CharField(max_length=64, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["job", "tick_start"], name="core_scheduledrun_once_per_tick"),
        ]
        ordering = ["-tick_start", "job"]

    def __str__(self) -> str:
        return f"{self.job} @ {self.tick_start.isoformat()}"
