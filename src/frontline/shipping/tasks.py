"""Periodic shipping jobs (declared in ``frontline.config.schedule``) and per-shipment tasks.
Each calls one function, is idempotent and safe on several workers at once."""

from __future__ import annotations

from typing import Any

from django.tasks import task

from . import polling, sweep


@task
def exception_sweep() -> dict[str, int]:
    """Time-based exception rules R4-R7 over every active shipment (every 5 minutes)."""
    return sweep.exception_sweep().as_dict()


@task
def tracking_poll() -> dict[str, int]:
    """Poll the shipments whose carrier slot has come (every minute; each carrier has its own
    interval, ``Carrier.poll_interval_minutes``)."""
    return polling.tracking_poll().as_dict()


@task
def shipment_refresh(shipment_id: int) -> dict[str, Any]:
    """Poll one shipment now (the agent's "refresh tracking" button)."""
    return polling.shipment_poll(shipment_id).as_dict()
