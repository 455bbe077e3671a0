"""Periodic case jobs, declared in ``frontline.config.schedule``. Each calls one service and is
safe to run on several workers at once and to repeat (see sla.py)."""

from __future__ import annotations

from django.tasks import task

from . import sla


@task
def sla_sweep() -> dict[str, int]:
    """Warn before breach, record breaches, fire escalation levels (every minute)."""
    return sla.sla_sweep().as_dict()


@task
def follow_up_sweep() -> int:
    """Close resolved cases whose follow-up went unanswered (every ten minutes)."""
    return sla.follow_up_sweep()
