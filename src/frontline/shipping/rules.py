"""Exception detection rules R1-R7 (reference §2.6), as pure functions.

``evaluate(shipment, events, now)`` returns a :class:`Finding` for every rule that fires. It
reads plain facts (no database) so the same code runs on every ingested event and in the
periodic sweep, and is tested with a frozen clock.

* **R1 carrier exception** — the latest event's status is ``exception``, ``failed_attempt``,
  ``returning`` or ``returned``, or it carries an incident reason that is not a mere delay.
  The kind follows the reason: lost, damaged, address, customs, failed attempt, return.
* **R2 carrier-declared delay** — the latest event says ``delayed``, has a delay reason
  (weather, customs delay, ...) or its text says so ("delay", "retard", "Verzögerung"...).
* **R3 ETA slip** — the current estimate is later than the first estimate (or, without one,
  than the promised date). ``delay_days`` is the gap.
* **R4 past due** — not delivered ``past_due_grace_hours`` after the end of the estimated (else
  promised) delivery day, in UTC.
* **R5 stalled** — moving (picked up … out for delivery, delayed, returning) and no event for
  the carrier's ``stall_threshold_hours``.
* **R6 not picked up** — no carrier scan ``not_picked_up_hours`` after the label was created.
* **R7 no information** — no event at all for ``NO_INFORMATION_DAYS`` (AfterShip "Expired");
  it supersedes R5 and R6.

Each finding has a ``fingerprint`` naming its cause (the event, the date, the silence): a
problem an agent resolved is not reopened until the cause changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from .choices import (
    DELAY_REASONS,
    EXCEPTION_STATUSES,
    FINAL_STATUSES,
    MOVING_STATUSES,
    NOT_SCANNED_STATUSES,
    ExceptionKind,
    IncidentReason,
    RuleId,
    Severity,
    ShipmentStatus,
)
from .normalize import is_declared_delay

NO_INFORMATION_DAYS = 30

S = ShipmentStatus
K = ExceptionKind
R = IncidentReason

_REASON_KINDS: dict[str, ExceptionKind] = {
    R.CARRIER_PARCEL_LOST: K.LOST,
    R.CARRIER_DAMAGED_PARCEL: K.DAMAGED,
    R.CARRIER_ADDRESS_NOT_FOUND: K.ADDRESS_ISSUE,
    R.CONSIGNEE_INCORRECT_ADDRESS: K.ADDRESS_ISSUE,
    R.CUSTOMS_DOCUMENTATION: K.CUSTOMS_HOLD,
    R.CUSTOMS_DUTIES_UNPAID: K.CUSTOMS_HOLD,
    R.CUSTOMS_PROHIBITED: K.CUSTOMS_HOLD,
    R.CUSTOMS_INSPECTION: K.CUSTOMS_HOLD,
}
_HIGH_KINDS = frozenset({K.LOST, K.DAMAGED, K.RETURN_TO_SENDER})


@dataclass(frozen=True)
class ShipmentFacts:
    """What the rules see of a shipment (and its carrier's thresholds)."""

    status: str
    created_at: datetime
    reason: str = ""
    label_created_at: datetime | None = None
    shipped_at: datetime | None = None
    last_event_at: datetime | None = None
    current_edd: date | None = None
    original_edd: date | None = None
    promised_date: date | None = None
    stall_threshold_hours: int = 72
    not_picked_up_hours: int = 48
    past_due_grace_hours: int = 12


@dataclass(frozen=True)
class EventFacts:
    occurred_at: datetime
    status: str
    reason: str = ""
    description: str = ""
    carrier_code: str = ""
    event_id: int | None = None


@dataclass(frozen=True)
class Finding:
    rule: RuleId
    kind: ExceptionKind
    severity: Severity
    summary: str
    fingerprint: str
    reason: str = ""
    trigger_event_id: int | None = None
    expected_by: date | None = None
    new_expected_by: date | None = None
    delay_days: int = 0


def evaluate(shipment: ShipmentFacts, events: Sequence[EventFacts], now: datetime) -> list[Finding]:
    """Every rule that fires for the shipment at ``now``; ``events`` may be only the latest."""
    return event_findings(shipment, events) + time_findings(shipment, now)


def latest_event(events: Sequence[EventFacts]) -> EventFacts | None:
    if not events:
        return None
    return max(events, key=lambda e: (e.occurred_at, e.event_id or 0))


def _event_key(event: EventFacts) -> str:
    return str(event.event_id) if event.event_id is not None else event.occurred_at.isoformat()


# --- rules on events (R1, R2, R3) ----------------------------------------------------------------


def event_findings(shipment: ShipmentFacts, events: Sequence[EventFacts]) -> list[Finding]:
    if shipment.status == S.DELIVERED or shipment.status == S.CANCELLED:
        return []
    findings: list[Finding] = []
    latest = latest_event(events)
    if latest is not None:
        r1 = rule_carrier_exception(latest)
        if r1 is not None:
            findings.append(r1)
        else:
            r2 = rule_declared_delay(shipment, latest)
            if r2 is not None:
                findings.append(r2)
    r3 = rule_eta_slip(shipment)
    if r3 is not None:
        findings.append(r3)
    return findings


def rule_carrier_exception(event: EventFacts) -> Finding | None:
    """R1."""
    reason = event.reason if event.reason and event.reason != R.UNKNOWN else ""
    is_exception_status = event.status in EXCEPTION_STATUSES
    incident = bool(reason) and reason not in DELAY_REASONS and event.status not in FINAL_STATUSES
    if not (is_exception_status or incident):
        return None
    if reason in _REASON_KINDS:
        kind = _REASON_KINDS[reason]
    elif event.status == S.FAILED_ATTEMPT:
        kind = K.FAILED_ATTEMPT
    elif event.status in (S.RETURNING, S.RETURNED):
        kind = K.RETURN_TO_SENDER
    elif reason == R.CUSTOMS_DELAY:
        kind = K.CUSTOMS_HOLD
    else:
        kind = K.CARRIER_EXCEPTION
    severity = Severity.HIGH if kind in _HIGH_KINDS else Severity.MEDIUM
    text = event.description or event.status
    return Finding(
        rule=RuleId.R1,
        kind=kind,
        severity=severity,
        summary=f"{K(kind).label}: {text}"[:255],
        fingerprint=f"R1:{_event_key(event)}",
        reason=reason,
        trigger_event_id=event.event_id,
    )


def rule_declared_delay(shipment: ShipmentFacts, event: EventFacts) -> Finding | None:
    """R2."""
    if event.status in FINAL_STATUSES or not is_declared_delay(event.status, event.reason, event.description):
        return None
    beyond_promise = bool(
        shipment.promised_date and shipment.current_edd and shipment.current_edd > shipment.promised_date
    )
    delay = 0
    if shipment.current_edd and shipment.original_edd:
        delay = max(0, (shipment.current_edd - shipment.original_edd).days)
    return Finding(
        rule=RuleId.R2,
        kind=K.DELAYED,
        severity=Severity.HIGH if beyond_promise else Severity.MEDIUM,
        summary=f"Carrier reports a delay: {event.description or event.status}"[:255],
        fingerprint=f"R2:{_event_key(event)}",
        reason=event.reason if event.reason in DELAY_REASONS else "",
        trigger_event_id=event.event_id,
        expected_by=shipment.original_edd or shipment.promised_date,
        new_expected_by=shipment.current_edd,
        delay_days=delay,
    )


def rule_eta_slip(shipment: ShipmentFacts) -> Finding | None:
    """R3."""
    current = shipment.current_edd
    if current is None:
        return None
    baseline = shipment.original_edd
    if baseline is None or current <= baseline:
        # No slip against the first estimate: against the promise, if that is exceeded.
        if shipment.promised_date is None or current <= shipment.promised_date:
            return None
        baseline = shipment.promised_date
    delay = (current - baseline).days
    beyond_promise = shipment.promised_date is not None and current > shipment.promised_date
    if beyond_promise:
        severity = Severity.HIGH
    elif delay >= 2:
        severity = Severity.MEDIUM
    else:
        severity = Severity.LOW
    return Finding(
        rule=RuleId.R3,
        kind=K.ETA_SLIP,
        severity=severity,
        summary=f"Delivery estimate moved from {baseline.isoformat()} to {current.isoformat()} (+{delay} d)",
        fingerprint=f"R3:{current.isoformat()}",
        expected_by=baseline,
        new_expected_by=current,
        delay_days=delay,
    )


# --- rules on time (R4-R7) --------------------------------------------------------------------------


def days_overdue(shipment: ShipmentFacts, now: datetime) -> int:
    """Whole days since the estimated (else promised) delivery day, 0 before it or without one.

    The silence rules (R5-R7) report this as their ``delay_days``: how long the shipment waited
    is in their summary, how late it is for the customer is this.
    """
    expected = shipment.current_edd or shipment.promised_date
    if expected is None:
        return 0
    return max(0, (now.astimezone(UTC).date() - expected).days)


def time_findings(shipment: ShipmentFacts, now: datetime) -> list[Finding]:
    if shipment.status in FINAL_STATUSES:
        return []
    r7 = rule_no_information(shipment, now)
    findings = [f for f in (rule_past_due(shipment, now), r7) if f is not None]
    if r7 is None:
        findings += [f for f in (rule_stalled(shipment, now), rule_not_picked_up(shipment, now)) if f]
    return findings


def past_due_deadline(expected: date, grace_hours: int) -> datetime:
    return datetime.combine(expected + timedelta(days=1), time(0), tzinfo=UTC) + timedelta(hours=grace_hours)


def rule_past_due(shipment: ShipmentFacts, now: datetime) -> Finding | None:
    """R4."""
    expected = shipment.current_edd or shipment.promised_date
    if expected is None or now < past_due_deadline(expected, shipment.past_due_grace_hours):
        return None
    days = max(1, (now.astimezone(UTC).date() - expected).days)
    return Finding(
        rule=RuleId.R4,
        kind=K.PAST_DUE,
        severity=Severity.HIGH,
        summary=f"Not delivered: expected {expected.isoformat()}, {days} d late",
        fingerprint=f"R4:{expected.isoformat()}",
        expected_by=expected,
        delay_days=days,
    )


def rule_stalled(shipment: ShipmentFacts, now: datetime) -> Finding | None:
    """R5."""
    if shipment.status not in MOVING_STATUSES or shipment.last_event_at is None:
        return None
    silence = now - shipment.last_event_at
    threshold = timedelta(hours=shipment.stall_threshold_hours)
    if silence < threshold:
        return None
    hours = int(silence.total_seconds() // 3600)
    return Finding(
        rule=RuleId.R5,
        kind=K.STALLED,
        severity=Severity.HIGH if silence >= 2 * threshold else Severity.MEDIUM,
        summary=f"No carrier scan for {hours} h while {S(shipment.status).label.lower()}",
        fingerprint=f"R5:{shipment.last_event_at.isoformat()}",
        expected_by=shipment.current_edd,
        delay_days=days_overdue(shipment, now),
    )


def rule_not_picked_up(shipment: ShipmentFacts, now: datetime) -> Finding | None:
    """R6."""
    if shipment.shipped_at is not None or shipment.status not in NOT_SCANNED_STATUSES:
        return None
    since = shipment.label_created_at or shipment.created_at
    waited = now - since
    threshold = timedelta(hours=shipment.not_picked_up_hours)
    if waited < threshold:
        return None
    return Finding(
        rule=RuleId.R6,
        kind=K.NOT_PICKED_UP,
        severity=Severity.HIGH if waited >= 2 * threshold else Severity.MEDIUM,
        summary=f"Label created {int(waited.total_seconds() // 3600)} h ago, no carrier scan yet",
        fingerprint="R6",
        expected_by=shipment.current_edd,
        delay_days=days_overdue(shipment, now),
    )


def rule_no_information(shipment: ShipmentFacts, now: datetime) -> Finding | None:
    """R7."""
    since = shipment.last_event_at or shipment.label_created_at or shipment.created_at
    if now - since < timedelta(days=NO_INFORMATION_DAYS):
        return None
    days = (now - since).days
    return Finding(
        rule=RuleId.R7,
        kind=K.NO_INFORMATION,
        severity=Severity.HIGH,
        summary=f"No tracking information for {days} days",
        fingerprint=f"R7:{since.isoformat()}",
        expected_by=shipment.current_edd,
        delay_days=days_overdue(shipment, now),
    )
