"""The periodic exception sweep: the time-based rules (R4 past due, R5 stalled, R6 not picked
up, R7 no information) over every actively tracked shipment.

It walks active shipments in keyset batches of plain values (no model instances), evaluates
the pure rules in memory, drops in bulk what is already known (an open exception of the kind
with the same figures, or a resolved one with the same fingerprint), and only then takes each
remaining shipment in a transaction of its own: locked (PostgreSQL ``SKIP LOCKED``: a shipment
another worker or an ingest holds is left for the next tick), re-read and re-evaluated under
the lock, exceptions opened through ``services.apply_findings``. Run twice at once or twice in
a row, each exception is opened once: the lock, the re-check under it and the partial unique
constraint (one unresolved exception per shipment and kind) see to that.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from . import rules, services
from .models import Carrier, DeliveryException, Shipment

logger = logging.getLogger("frontline.shipping")

SWEEP_BATCH = 2000
FIELDS = (
    "pk",
    "carrier_id",
    "status",
    "reason",
    "created_at",
    "label_created_at",
    "shipped_at",
    "last_event_at",
    "current_edd",
    "original_edd",
    "promised_date",
)


@dataclass
class SweepResult:
    scanned: int = 0
    findings: int = 0
    opened: int = 0
    refreshed: int = 0
    locked: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def _thresholds() -> dict[int, tuple[int, int, int]]:
    return {
        pk: (stall, not_picked, grace)
        for pk, stall, not_picked, grace in Carrier.objects.values_list(
            "pk", "stall_threshold_hours", "not_picked_up_hours", "past_due_grace_hours"
        )
    }


def _facts(row: tuple[Any, ...], thresholds: dict[int, tuple[int, int, int]]) -> rules.ShipmentFacts:
    (_pk, carrier_id, status, reason, created, label, shipped, last_event, edd, original, promised) = row
    stall, not_picked, grace = thresholds.get(carrier_id, (72, 48, 12))
    return rules.ShipmentFacts(
        status=status,
        reason=reason,
        created_at=created,
        label_created_at=label,
        shipped_at=shipped,
        last_event_at=last_event,
        current_edd=edd,
        original_edd=original,
        promised_date=promised,
        stall_threshold_hours=stall,
        not_picked_up_hours=not_picked,
        past_due_grace_hours=grace,
    )


def _known(hits: dict[int, list[rules.Finding]]) -> dict[int, list[rules.Finding]]:
    """The findings that may change something: no open exception of the kind with the same
    days late and severity, and no exception (open or resolved) with the same fingerprint."""
    kinds = {f.kind for findings in hits.values() for f in findings}
    open_rows: dict[tuple[int, str], tuple[int, str]] = {}
    fingerprints: set[tuple[int, str, str]] = set()
    for shipment_id, kind, fingerprint, resolved_at, delay, severity in DeliveryException.objects.filter(
        shipment_id__in=list(hits), kind__in=list(kinds)
    ).values_list("shipment_id", "kind", "fingerprint", "resolved_at", "delay_days", "severity"):
        fingerprints.add((shipment_id, kind, fingerprint))
        if resolved_at is None:
            open_rows[(shipment_id, kind)] = (delay, severity)
    todo: dict[int, list[rules.Finding]] = defaultdict(list)
    for shipment_id, findings in hits.items():
        for finding in findings:
            current = open_rows.get((shipment_id, finding.kind))
            if current is not None:
                if current == (finding.delay_days, finding.severity):
                    continue
            elif (shipment_id, finding.kind, finding.fingerprint) in fingerprints:
                continue
            todo[shipment_id].append(finding)
    return todo


def exception_sweep(now: datetime | None = None, *, batch: int = SWEEP_BATCH) -> SweepResult:
    now = now or timezone.now()
    thresholds = _thresholds()
    result = SweepResult()
    active = Shipment.objects.filter(tracking_active=True)
    last = 0
    while True:
        rows = list(active.filter(pk__gt=last).order_by("pk").values_list(*FIELDS)[:batch])
        if not rows:
            break
        last = rows[-1][0]
        result.scanned += len(rows)
        hits: dict[int, list[rules.Finding]] = {}
        for row in rows:
            findings = rules.time_findings(_facts(row, thresholds), now)
            if findings:
                hits[row[0]] = findings
        result.findings += sum(len(f) for f in hits.values())
        if hits:
            for shipment_id in _known(hits):
                _handle(shipment_id, now, result)
        if len(rows) < batch:
            break
    if result.opened or result.refreshed:
        logger.info("exception sweep at %s: %s", now.isoformat(), result.as_dict())
    return result


def _handle(shipment_id: int, now: datetime, result: SweepResult) -> None:
    with transaction.atomic():
        shipment = (
            Shipment.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("carrier", "origin_warehouse")
            .filter(pk=shipment_id, tracking_active=True)
            .first()
        )
        if shipment is None:
            result.locked += 1
            return
        findings = rules.time_findings(services.shipment_facts(shipment), now)
        opened, refreshed = services.apply_findings(shipment, findings, now=now)
        result.opened += len(opened)
        result.refreshed += len(refreshed)
