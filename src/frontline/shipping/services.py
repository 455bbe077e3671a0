"""Every write of the shipping app: carriers and accounts, shipments, tracking events, proof of
delivery and delivery exceptions.

Each function is one use case: keyword-only arguments, one transaction, the rows it changes
locked, its audit row written in the same transaction, signals and the order roll-up deferred
to ``transaction.on_commit``. A caller's mistake is a ``DomainError`` naming the field.

The order roll-up (``orders.services.order_shipping_progress``) and the customer-timeline entry
(``orders.services.order_event_record``) run **on commit** of the transaction that changed a
shipment's status: the tracking write stays short, and the order sees committed shipments.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from frontline.accounts import roles
from frontline.audit import services as audit
from frontline.core import crypto
from frontline.core.errors import Conflict, DomainError, NotFound
from frontline.orders.models import Order, OrderLine

from . import events as signals
from . import rules
from .choices import (
    AGENT_RESOLUTIONS,
    FINAL_STATUSES,
    NOT_SCANNED_STATUSES,
    DeliveryLocationType,
    Direction,
    EventSource,
    ExceptionStatus,
    IncidentReason,
    Resolution,
    Severity,
    ShipmentStatus,
)
from .impact import ImpactInputs, impact_score
from .models import (
    Carrier,
    CarrierAccount,
    DeliveryException,
    ProofOfDelivery,
    Shipment,
    ShipmentItem,
    StatusOverride,
    TrackingEvent,
)
from .normalize import NormalizedEvent, NormalizeError, RawEvent, normalize_event, zone

logger = logging.getLogger("frontline.shipping")

TRACKING_NUMBER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._/-]{2,63}$")
MAX_EVENTS_PER_INGEST = 500
MAX_POD_IMAGE_BYTES = 2 * 1024 * 1024
CUSTOMER_VALUE_DAYS = 365


# --- carriers and accounts --------------------------------------------------------------------

CARRIER_FIELDS = (
    "name",
    "tracking_url_template",
    "timezone",
    "supports_polling",
    "poll_interval_minutes",
    "stall_threshold_hours",
    "not_picked_up_hours",
    "past_due_grace_hours",
    "is_active",
)


def _check_carrier_values(values: dict[str, Any]) -> None:
    if "name" in values and not str(values["name"]).strip():
        raise DomainError(_("A carrier needs a name."), field="name")
    if "timezone" in values and zone(str(values["timezone"])) is None:
        raise DomainError(_("%(tz)r is not a time zone.") % {"tz": values["timezone"]}, field="timezone")
    for name in ("poll_interval_minutes", "stall_threshold_hours", "not_picked_up_hours"):
        if name in values and int(values[name]) < 1:
            raise DomainError(_("Must be at least 1."), field=name)
    template = values.get("tracking_url_template")
    if template and "{tracking_number}" not in template:
        raise DomainError(_("The template must contain {tracking_number}."), field="tracking_url_template")


@transaction.atomic
def carrier_create(*, by: Any | None, code: str, name: str, **values: Any) -> Carrier:
    code = code.strip().lower()
    if not re.fullmatch(r"[a-z0-9_]{2,40}", code):
        raise DomainError(_("Use 2-40 lower-case letters, digits or _ (the karrio name)."), field="code")
    unknown = set(values) - set(CARRIER_FIELDS)
    if unknown:
        raise DomainError(_("Unknown field %(f)s.") % {"f": sorted(unknown)[0]}, field=sorted(unknown)[0])
    values["name"] = name
    _check_carrier_values(values)
    if Carrier.objects.filter(code=code).exists():
        raise Conflict(_("A carrier with the code %(code)s exists.") % {"code": code}, field="code")
    carrier = Carrier.objects.create(code=code, **values)
    audit.record(actor=by, verb="carrier.created", target=carrier, data={"code": code})
    return carrier


@transaction.atomic
def carrier_update(*, carrier_id: int, by: Any | None, changes: dict[str, Any]) -> Carrier:
    carrier = Carrier.objects.select_for_update().filter(pk=carrier_id).first()
    if carrier is None:
        raise NotFound(_("Carrier not found."), field="carrier")
    unknown = set(changes) - set(CARRIER_FIELDS)
    if unknown:
        raise DomainError(_("Unknown field %(f)s.") % {"f": sorted(unknown)[0]}, field=sorted(unknown)[0])
    _check_carrier_values(changes)
    before = {k: getattr(carrier, k) for k in changes}
    for key, value in changes.items():
        setattr(carrier, key, value)
    carrier.save()
    audit.record(actor=by, verb="carrier.updated", target=carrier, data=audit.changes(before, changes))
    return carrier


@transaction.atomic
def carrier_account_create(
    *,
    by: Any | None,
    carrier_id: int,
    name: str,
    credentials: dict[str, Any],
    test_mode: bool = False,
    is_default: bool = False,
) -> CarrierAccount:
    """Credentials are the karrio ``Settings`` dict of the connector; stored encrypted."""
    carrier = Carrier.objects.select_for_update().filter(pk=carrier_id).first()
    if carrier is None:
        raise NotFound(_("Carrier not found."), field="carrier")
    if not name.strip():
        raise DomainError(_("An account needs a name."), field="name")
    if not isinstance(credentials, dict):
        raise DomainError(_("Credentials must be an object of settings."), field="credentials")
    if CarrierAccount.objects.filter(carrier=carrier, name=name.strip()).exists():
        raise Conflict(_("This carrier has an account with that name."), field="name")
    if is_default or not carrier.accounts.exists():
        carrier.accounts.filter(is_default=True).update(is_default=False)
        is_default = True
    account = CarrierAccount.objects.create(
        carrier=carrier,
        name=name.strip(),
        credentials_encrypted=crypto.encrypt(json.dumps(credentials)),
        test_mode=test_mode,
        is_default=is_default,
    )
    audit.record(
        actor=by,
        verb="carrier_account.created",
        target=account,
        data={"carrier": carrier.code, "test_mode": test_mode, "keys": sorted(credentials)},
    )
    return account


@transaction.atomic
def carrier_account_credentials_set(
    *, account_id: int, by: Any | None, credentials: dict[str, Any]
) -> CarrierAccount:
    account = CarrierAccount.objects.select_for_update().filter(pk=account_id).first()
    if account is None:
        raise NotFound(_("Carrier account not found."), field="account")
    if not isinstance(credentials, dict):
        raise DomainError(_("Credentials must be an object of settings."), field="credentials")
    account.credentials_encrypted = crypto.encrypt(json.dumps(credentials))
    account.save(update_fields=["credentials_encrypted", "updated_at"])
    audit.record(
        actor=by,
        verb="carrier_account.credentials_changed",
        target=account,
        data={"keys": sorted(credentials)},
    )
    return account


@transaction.atomic
def status_override_set(
    *, by: Any | None, carrier_id: int, raw_code: str, status: str, reason: str = "", note: str = ""
) -> StatusOverride:
    """Map a carrier's raw code to our status (and reason): it wins over karrio's mapping for
    events ingested from now on."""
    raw_code = raw_code.strip()
    if not raw_code or len(raw_code) > 40:
        raise DomainError(_("Give the carrier's code (1-40 characters)."), field="raw_code")
    if status not in ShipmentStatus.values:
        raise DomainError(_("%(s)r is not a shipment status.") % {"s": status}, field="status")
    if reason and reason not in IncidentReason.values:
        raise DomainError(_("%(r)r is not an incident reason.") % {"r": reason}, field="reason")
    if not Carrier.objects.filter(pk=carrier_id).exists():
        raise NotFound(_("Carrier not found."), field="carrier")
    override, created = StatusOverride.objects.update_or_create(
        carrier_id=carrier_id, raw_code=raw_code, defaults={"status": status, "reason": reason, "note": note}
    )
    audit.record(
        actor=by,
        verb="status_override.set",
        target=override,
        data={"raw_code": raw_code, "status": status, "reason": reason, "created": created},
    )
    return override


# --- shipments ----------------------------------------------------------------------------------


@dataclass
class ItemInput:
    order_line_id: int
    quantity: int


@dataclass
class ShipmentInput:
    carrier_id: int
    tracking_number: str
    order_id: int | None = None
    origin_warehouse_id: int | None = None
    account_id: int | None = None
    service: str = ""
    direction: str = Direction.OUTBOUND
    label_created_at: datetime | None = None
    promised_date: date | None = None
    current_edd: date | None = None
    package_count: int = 1
    weight: Decimal | None = None
    items: list[ItemInput] = field(default_factory=list)


def clean_tracking_number(value: str) -> str:
    number = " ".join((value or "").split())
    if not TRACKING_NUMBER.match(number):
        raise DomainError(
            _("%(v)r is not a tracking number (3-64 letters, digits, spaces or . _ / -).")
            % {"v": value[:70]},
            field="tracking_number",
        )
    return number


@transaction.atomic
def shipment_create(*, by: Any | None, data: ShipmentInput) -> Shipment:
    number = clean_tracking_number(data.tracking_number)
    carrier = Carrier.objects.filter(pk=data.carrier_id).first()
    if carrier is None:
        raise NotFound(_("Carrier not found."), field="carrier")
    if not carrier.is_active:
        raise DomainError(_("The carrier %(c)s is not active.") % {"c": carrier.name}, field="carrier")
    if data.direction not in Direction.values:
        raise DomainError(_("%(d)r is not a direction.") % {"d": data.direction}, field="direction")
    if data.package_count < 1:
        raise DomainError(_("At least one package."), field="package_count")
    if data.weight is not None and data.weight < 0:
        raise DomainError(_("The weight cannot be negative."), field="weight")
    order = None
    if data.order_id is not None:
        order = Order.objects.select_for_update().filter(pk=data.order_id).first()
        if order is None:
            raise NotFound(_("Order not found."), field="order")
    account_id = data.account_id
    if account_id is not None:
        if not CarrierAccount.objects.filter(pk=account_id, carrier=carrier).exists():
            raise DomainError(_("The account is not one of this carrier's."), field="account")
    else:
        account_id = (
            CarrierAccount.objects.filter(carrier=carrier, is_default=True, is_active=True)
            .values_list("pk", flat=True)
            .first()
        )
    if data.origin_warehouse_id is not None:
        from frontline.catalog.models import Warehouse

        if not Warehouse.objects.filter(pk=data.origin_warehouse_id).exists():
            raise NotFound(_("Warehouse not found."), field="origin_warehouse")
    duplicate = Shipment.objects.filter(carrier=carrier, tracking_number=number, order=order)
    if duplicate.exists():
        raise Conflict(
            _("%(carrier)s %(number)s is already a shipment of this order.")
            % {"carrier": carrier.name, "number": number},
            field="tracking_number",
        )
    lines = _check_items(order, data.items)
    now = timezone.now()
    promised = data.promised_date or (order.promised_delivery_date if order is not None else None)
    shipment = Shipment.objects.create(
        order=order,
        origin_warehouse_id=data.origin_warehouse_id,
        carrier=carrier,
        account_id=account_id,
        service=data.service.strip()[:100],
        tracking_number=number,
        direction=data.direction,
        label_created_at=data.label_created_at or now,
        status=ShipmentStatus.LABEL_CREATED,
        current_edd=data.current_edd,
        original_edd=data.current_edd,
        promised_date=promised,
        tracking_active=True,
        next_poll_at=now if carrier.supports_polling else None,
        carrier_tracking_url=carrier.tracking_url(number)[:500],
        package_count=data.package_count,
        weight=data.weight,
    )
    ShipmentItem.objects.bulk_create(
        [
            ShipmentItem(shipment=shipment, order_line=lines[i.order_line_id], quantity=i.quantity)
            for i in data.items
        ]
    )
    audit.record(
        actor=by,
        verb="shipment.created",
        target=shipment,
        data={
            "carrier": carrier.code,
            "tracking_number": number,
            "order_id": order.pk if order else None,
            "items": {str(i.order_line_id): i.quantity for i in data.items},
        },
    )
    if order is not None:
        order_id, summary = (
            order.pk,
            _("Shipment %(number)s created (%(carrier)s)")
            % {
                "number": number,
                "carrier": carrier.name,
            },
        )
        shipment_id = shipment.pk
        transaction.on_commit(
            lambda: _timeline(order_id, shipment_id, summary, now, {"status": "label_created"})
        )
    return shipment


def _check_items(order: Order | None, items: Sequence[ItemInput]) -> dict[int, OrderLine]:
    if not items:
        return {}
    if order is None:
        raise DomainError(_("Items need an order."), field="items")
    ids = [i.order_line_id for i in items]
    if len(set(ids)) != len(ids):
        raise DomainError(_("An order line is listed twice."), field="items")
    lines = {line.pk: line for line in OrderLine.objects.filter(order=order, pk__in=ids)}
    for index, item in enumerate(items):
        line = lines.get(item.order_line_id)
        if line is None:
            raise DomainError(
                _("Line %(id)s is not a line of order %(order)s.")
                % {"id": item.order_line_id, "order": order},
                field=f"items[{index}].order_line_id",
            )
        if item.quantity < 1:
            raise DomainError(_("The quantity must be at least 1."), field=f"items[{index}].quantity")
        shipped = (
            ShipmentItem.objects.filter(order_line=line)
            .exclude(shipment__status=ShipmentStatus.CANCELLED)
            .aggregate(total=Sum("quantity"))["total"]
            or 0
        )
        if shipped + item.quantity > line.quantity:
            raise DomainError(
                _("Line %(sku)s: %(q)s more would ship %(total)s of %(ordered)s ordered.")
                % {
                    "sku": line.sku,
                    "q": item.quantity,
                    "total": shipped + item.quantity,
                    "ordered": line.quantity,
                },
                field=f"items[{index}].quantity",
            )
    return lines


SHIPMENT_FIELDS = ("service", "promised_date", "package_count", "weight", "origin_warehouse_id", "account_id")


@transaction.atomic
def shipment_update(*, shipment_id: int, by: Any | None, changes: dict[str, Any]) -> Shipment:
    shipment = _lock_shipment(shipment_id)
    unknown = set(changes) - set(SHIPMENT_FIELDS)
    if unknown:
        name = sorted(unknown)[0]
        raise DomainError(_("%(f)s cannot be changed here.") % {"f": name}, field=name)
    if "package_count" in changes and int(changes["package_count"]) < 1:
        raise DomainError(_("At least one package."), field="package_count")
    if (
        changes.get("account_id") is not None
        and not CarrierAccount.objects.filter(
            pk=changes["account_id"], carrier_id=shipment.carrier_id
        ).exists()
    ):
        raise DomainError(_("The account is not one of this carrier's."), field="account_id")
    before = {k: getattr(shipment, k) for k in changes}
    for key, value in changes.items():
        setattr(shipment, key, value)
    shipment.save()
    audit.record(actor=by, verb="shipment.updated", target=shipment, data=audit.changes(before, changes))
    return shipment


def _lock_shipment(shipment_id: int) -> Shipment:
    shipment = (
        Shipment.objects.select_for_update(of=("self",))
        .select_related("carrier", "origin_warehouse")
        .filter(pk=shipment_id)
        .first()
    )
    if shipment is None:
        raise NotFound(_("Shipment not found."), field="shipment")
    return shipment


def shipment_find(*, carrier_code: str, tracking_number: str) -> Shipment | None:
    """The shipment a carrier's tracking number means now: tracking numbers are recycled, so the
    newest shipment still tracked, else the newest one."""
    candidates = Shipment.objects.filter(carrier__code=carrier_code, tracking_number=tracking_number)
    return (
        candidates.filter(tracking_active=True).order_by("-created_at", "-id").first()
        or candidates.order_by("-created_at", "-id").first()
    )


# --- tracking events ----------------------------------------------------------------------------


@dataclass
class PodInput:
    signed_by: str = ""
    signature_image: bytes | None = None
    photo: bytes | None = None
    location_type: str = ""
    location_note: str = ""
    urls: list[dict[str, str]] = field(default_factory=list)
    delivered_at: datetime | None = None


def decode_image(value: str | None, *, field_name: str) -> bytes | None:
    """Base64 (karrio ``images.*``) to bytes; a DomainError when it is not base64 or too big."""
    if not value:
        return None
    try:
        data = base64.b64decode(value, validate=False)
    except (binascii.Error, ValueError):
        raise DomainError(_("Not base64 data."), field=field_name) from None
    if len(data) > MAX_POD_IMAGE_BYTES:
        raise DomainError(_("The image is larger than 2 MB."), field=field_name)
    return data or None


@dataclass
class IngestResult:
    shipment_id: int
    created: int = 0
    duplicates: int = 0
    status_before: str = ""
    status_after: str = ""
    edd_changed: bool = False
    opened: list[int] = field(default_factory=list)
    refreshed: list[int] = field(default_factory=list)
    resolved: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "shipment_id": self.shipment_id,
            "created": self.created,
            "duplicates": self.duplicates,
            "status": self.status_after,
            "exceptions_opened": self.opened,
            "exceptions_resolved": self.resolved,
        }


def carrier_overrides(carrier_id: int) -> dict[str, tuple[str, str]]:
    return {
        code: (status, reason)
        for code, status, reason in StatusOverride.objects.filter(carrier_id=carrier_id).values_list(
            "raw_code", "status", "reason"
        )
    }


def fallback_timezone(shipment: Shipment) -> str:
    """Event times without a zone are in the origin warehouse's zone, else the carrier's."""
    if shipment.origin_warehouse_id is not None and shipment.origin_warehouse is not None:
        return shipment.origin_warehouse.timezone
    return shipment.carrier.timezone


def normalize_events(
    shipment: Shipment, events: Sequence[RawEvent], overrides: dict[str, tuple[str, str]] | None = None
) -> list[NormalizedEvent]:
    if overrides is None:
        overrides = carrier_overrides(shipment.carrier_id)
    tz = fallback_timezone(shipment)
    normalized = []
    for index, raw in enumerate(events):
        try:
            normalized.append(normalize_event(raw, fallback_tz=tz, overrides=overrides))
        except NormalizeError as exc:
            raise DomainError(str(exc), field=f"events[{index}].{exc.field}") from None
    return normalized


def tracking_events_ingest(
    *,
    shipment_id: int,
    events: Sequence[RawEvent],
    source: str,
    by: Any | None = None,
    edd: date | None = None,
    pod: PodInput | None = None,
    status_detail: str = "",
    service: str = "",
    now: datetime | None = None,
) -> IngestResult:
    """Store new tracking events for a shipment and bring everything that depends on them up to
    date: status, dates, EDD, proof of delivery, exceptions (rules R1-R7; all open ones are
    resolved on delivery), the order roll-up and timeline (on commit).

    Idempotent: an event already stored (same ``dedupe_hash``: minute, raw code, text, place)
    is counted as a duplicate and changes nothing; a batch that brings nothing new writes
    nothing at all. Safe under concurrency: the shipment row is locked for the whole update, and
    the unique (shipment, dedupe_hash) constraint is the last word.
    """
    if source not in EventSource.values:
        raise DomainError(_("%(s)r is not an event source.") % {"s": source}, field="source")
    if len(events) > MAX_EVENTS_PER_INGEST:
        raise DomainError(_("At most %(n)s events at once.") % {"n": MAX_EVENTS_PER_INGEST}, field="events")
    now = now or timezone.now()
    with transaction.atomic():
        shipment = _lock_shipment(shipment_id)
        normalized = normalize_events(shipment, events)
        result = IngestResult(shipment_id=shipment.pk, status_before=shipment.status)
        unique: dict[str, NormalizedEvent] = {}
        for event in normalized:
            unique.setdefault(event.dedupe_hash, event)
        known = set(
            TrackingEvent.objects.filter(shipment=shipment, dedupe_hash__in=list(unique)).values_list(
                "dedupe_hash", flat=True
            )
        )
        fresh = [e for h, e in unique.items() if h not in known]
        result.duplicates = len(normalized) - len(fresh)
        if fresh:
            TrackingEvent.objects.bulk_create(
                [
                    TrackingEvent(
                        shipment=shipment,
                        occurred_at=e.occurred_at,
                        raw_date=e.raw_date,
                        raw_time=e.raw_time,
                        raw_tz=e.raw_tz,
                        carrier_code=e.carrier_code,
                        description=e.description,
                        status=e.status,
                        reason=e.reason,
                        location_text=e.location_text,
                        city=e.city,
                        region=e.region,
                        postal_code=e.postal_code,
                        country=e.country,
                        lat=e.lat,
                        lon=e.lon,
                        source=source,
                        dedupe_hash=e.dedupe_hash,
                    )
                    for e in fresh
                ]
            )
        result.created = len(fresh)
        changed = _apply_events(shipment, fresh, status_detail=status_detail, service=service)
        if edd is not None and edd != shipment.current_edd:
            if shipment.original_edd is None:
                shipment.original_edd = edd
                changed.add("original_edd")
            shipment.current_edd = edd
            changed.add("current_edd")
            result.edd_changed = True
        pod_written = False
        if pod is not None and (shipment.status == ShipmentStatus.DELIVERED or pod.delivered_at):
            pod_written = _store_pod(shipment, pod, source)
        result.status_after = shipment.status
        if not changed and not pod_written:
            return result  # a pure replay: nothing written, nothing evaluated
        if changed:
            shipment.save(update_fields=[*sorted(changed), "updated_at"])
        audit.record(
            actor=by,
            verb="shipment.tracking_updated",
            target=shipment,
            data={
                "source": source,
                "events_created": result.created,
                "duplicates": result.duplicates,
                "status": [result.status_before, result.status_after],
                "edd": shipment.current_edd.isoformat()
                if result.edd_changed and shipment.current_edd
                else None,
                "proof_of_delivery": pod_written,
            },
        )
        # The rules read the event that set the status: the latest one we could map.
        latest = (
            TrackingEvent.objects.filter(shipment=shipment)
            .exclude(status=ShipmentStatus.UNKNOWN)
            .order_by("-occurred_at", "-id")
            .values("id", "occurred_at", "status", "reason", "description", "carrier_code")
            .first()
        )
        latest_facts = [] if latest is None else [_event_facts(latest)]
        if fresh or result.edd_changed:
            findings = rules.evaluate(shipment_facts(shipment), latest_facts, now)
            result.opened, result.refreshed = apply_findings(shipment, findings, now=now, by=by)
        if shipment.status == ShipmentStatus.DELIVERED:
            result.resolved = _auto_resolve(shipment, now)
        if result.status_before != result.status_after:
            _on_status_change(shipment, result.status_before, now)
    return result


def _event_facts(row: Mapping[str, Any]) -> rules.EventFacts:
    return rules.EventFacts(
        occurred_at=row["occurred_at"],
        status=row["status"],
        reason=row["reason"],
        description=row["description"],
        carrier_code=row["carrier_code"],
        event_id=row["id"],
    )


def shipment_facts(shipment: Shipment) -> rules.ShipmentFacts:
    carrier = shipment.carrier
    return rules.ShipmentFacts(
        status=shipment.status,
        reason=shipment.reason,
        created_at=shipment.created_at,
        label_created_at=shipment.label_created_at,
        shipped_at=shipment.shipped_at,
        last_event_at=shipment.last_event_at,
        current_edd=shipment.current_edd,
        original_edd=shipment.original_edd,
        promised_date=shipment.promised_date,
        stall_threshold_hours=carrier.stall_threshold_hours,
        not_picked_up_hours=carrier.not_picked_up_hours,
        past_due_grace_hours=carrier.past_due_grace_hours,
    )


def _apply_events(
    shipment: Shipment, fresh: Sequence[NormalizedEvent], *, status_detail: str, service: str
) -> set[str]:
    """Update the shipment's dates and status from newly stored events; the changed fields."""
    changed: set[str] = set()
    if service and not shipment.service:
        shipment.service = service[:100]
        changed.add("service")
    if not fresh:
        return changed
    newest = max(fresh, key=lambda e: e.occurred_at)
    previous_last = shipment.last_event_at
    if previous_last is None or newest.occurred_at >= previous_last:
        # The newest events decide the status; an unmapped one keeps the last known status.
        shipment.last_event_at = newest.occurred_at
        changed.add("last_event_at")
        known = [
            e
            for e in fresh
            if e.status != ShipmentStatus.UNKNOWN
            and (previous_last is None or e.occurred_at >= previous_last)
        ]
        if known:
            latest_known = max(known, key=lambda e: e.occurred_at)
            if (latest_known.status, latest_known.reason) != (shipment.status, shipment.reason):
                shipment.status, shipment.reason = latest_known.status, latest_known.reason
                changed |= {"status", "reason"}
        detail = status_detail or newest.description
        if detail:
            shipment.status_detail = detail[:255]
            changed.add("status_detail")
    for event in sorted(fresh, key=lambda e: e.occurred_at):
        if event.status == ShipmentStatus.LABEL_CREATED and (
            shipment.label_created_at is None or event.occurred_at < shipment.label_created_at
        ):
            shipment.label_created_at = event.occurred_at
            changed.add("label_created_at")
        scanned = event.status not in NOT_SCANNED_STATUSES and event.status != ShipmentStatus.CANCELLED
        if scanned and (shipment.shipped_at is None or event.occurred_at < shipment.shipped_at):
            shipment.shipped_at = event.occurred_at
            changed.add("shipped_at")
    if shipment.status == ShipmentStatus.DELIVERED:
        delivered = [e.occurred_at for e in fresh if e.status == ShipmentStatus.DELIVERED]
        if delivered and shipment.delivered_at is None:
            shipment.delivered_at = max(delivered)
            changed.add("delivered_at")
    elif shipment.delivered_at is not None and "status" in changed:
        shipment.delivered_at = None
        changed.add("delivered_at")
    active = shipment.status not in FINAL_STATUSES
    if active != shipment.tracking_active:
        shipment.tracking_active = active
        changed.add("tracking_active")
    if not active and shipment.next_poll_at is not None:
        shipment.next_poll_at = None
        changed.add("next_poll_at")
    return changed


def _store_pod(shipment: Shipment, pod: PodInput, source: str) -> bool:
    """Create or complete the proof of delivery; True when something was written."""
    if pod.location_type and pod.location_type not in DeliveryLocationType.values:
        raise DomainError(
            _("%(v)r is not a delivery location type.") % {"v": pod.location_type}, field="pod.location_type"
        )
    existing = ProofOfDelivery.objects.filter(shipment=shipment).first()
    record = existing or ProofOfDelivery(shipment=shipment, source=source)
    changed = False
    values = {
        "signed_by": pod.signed_by.strip()[:200],
        "location_type": pod.location_type,
        "location_note": pod.location_note.strip()[:200],
        "delivered_at": pod.delivered_at or shipment.delivered_at,
    }
    for key, value in values.items():
        if value and getattr(record, key) != value:
            setattr(record, key, value)
            changed = True
    urls = [u for u in pod.urls if u not in record.urls]
    if urls:
        record.urls = [*record.urls, *urls]
        changed = True
    if pod.signature_image and not record.signature_image:
        record.signature_image.save(
            f"{shipment.pk}-signature.png", ContentFile(pod.signature_image), save=False
        )
        changed = True
    if pod.photo and not record.photo:
        record.photo.save(f"{shipment.pk}-photo.jpg", ContentFile(pod.photo), save=False)
        changed = True
    if changed:
        record.save()
    return changed


def _on_status_change(shipment: Shipment, before: str, at: datetime) -> None:
    shipment_id, order_id, after = shipment.pk, shipment.order_id, shipment.status
    label = ShipmentStatus(after).label
    summary = f"{shipment.carrier.name} {shipment.tracking_number}: {label}"
    if shipment.status_detail and shipment.status_detail.casefold() != str(label).casefold():
        summary = f"{summary} - {shipment.status_detail}"
    transaction.on_commit(
        lambda: signals.shipment_status_changed.send(
            sender=Shipment, shipment_id=shipment_id, order_id=order_id, old_status=before, new_status=after
        )
    )
    if order_id is None:
        return
    when = shipment.last_event_at or at
    data = {"status": after, "previous_status": before, "tracking_number": shipment.tracking_number}

    def rollup() -> None:
        order_rollup(order_id=order_id, at=when)
        _timeline(order_id, shipment_id, summary[:255], when, data)

    transaction.on_commit(rollup)


def _timeline(order_id: int, shipment_id: int, summary: str, at: datetime, data: dict[str, Any]) -> None:
    """The shipment's news on the customer's timeline (through the orders app), after commit."""
    from frontline.orders import services as order_services

    shipment = Shipment.objects.filter(pk=shipment_id).first()
    try:
        order_services.order_event_record(
            order_id=order_id, kind="shipment", summary=summary, occurred_at=at, source=shipment, data=data
        )
    except DomainError as exc:
        logger.warning("timeline entry for order %s refused: %s", order_id, exc.message)


def order_shipping_facts(order_id: int) -> tuple[dict[int, int], bool]:
    """(order line id -> quantity handed to carriers across the order's outbound shipments,
    for every line any shipment carries (0 when none has left); whether every outbound
    shipment of the order that is not cancelled is delivered)."""
    shipped: dict[int, int] = {}
    items = ShipmentItem.objects.filter(shipment__order_id=order_id, shipment__direction=Direction.OUTBOUND)
    for line_id, quantity, status, shipped_at in items.values_list(
        "order_line_id", "quantity", "shipment__status", "shipment__shipped_at"
    ):
        left = shipped_at is not None and status != ShipmentStatus.CANCELLED
        shipped[line_id] = shipped.get(line_id, 0) + (quantity if left else 0)
    statuses = list(
        Shipment.objects.filter(order_id=order_id, direction=Direction.OUTBOUND)
        .exclude(status=ShipmentStatus.CANCELLED)
        .values_list("status", flat=True)
    )
    delivered = bool(statuses) and all(s == ShipmentStatus.DELIVERED for s in statuses)
    return shipped, delivered


def order_rollup(*, order_id: int, at: datetime) -> None:
    """Tell the orders app what its shipments shipped and whether all are delivered. Runs after
    commit: a refusal (a cancelled order, say) is logged, the tracking update stands."""
    from frontline.orders import services as order_services

    shipped, delivered = order_shipping_facts(order_id)
    try:
        order_services.order_shipping_progress(order_id=order_id, shipped=shipped, delivered=delivered, at=at)
    except DomainError as exc:
        logger.warning("order %s refused the shipping roll-up: %s", order_id, exc.message)


# --- exceptions ----------------------------------------------------------------------------------


def _customer_value(order: Order | None, now: datetime) -> Decimal:
    if order is None:
        return Decimal(0)
    total = Order.objects.filter(
        customer_id=order.customer_id, placed_at__gte=now - timedelta(days=CUSTOMER_VALUE_DAYS)
    ).aggregate(total=Sum("total"))["total"]
    return total or Decimal(0)


def _score(exception: DeliveryException, order: Order | None, customer_value: Decimal, today: date) -> int:
    shipment = exception.shipment
    return impact_score(
        ImpactInputs(
            severity=exception.severity,
            order_value=order.total if order is not None else Decimal(0),
            customer_value=customer_value,
            delay_days=exception.delay_days,
            promised_date=shipment.promised_date,
            expected=exception.new_expected_by or shipment.current_edd,
            customer_contacts=exception.customer_contacts,
        ),
        today=today,
    )


_SEVERITY_RANK = {Severity.LOW: 0, Severity.MEDIUM: 1, Severity.HIGH: 2}


def apply_findings(
    shipment: Shipment, findings: Sequence[rules.Finding], *, now: datetime, by: Any | None = None
) -> tuple[list[int], list[int]]:
    """Open an exception per finding unless one of its kind is open (then refresh it: days late,
    new date, severity up) or one with its fingerprint was resolved. Call with the shipment
    locked. Returns (opened ids, refreshed ids)."""
    if not findings:
        return [], []
    existing = list(
        DeliveryException.objects.filter(shipment=shipment, kind__in=[f.kind for f in findings]).only(
            "id",
            "kind",
            "fingerprint",
            "resolved_at",
            "delay_days",
            "new_expected_by",
            "severity",
            "customer_contacts",
            "shipment_id",
            "order_id",
        )
    )
    order = Order.objects.filter(pk=shipment.order_id).first() if shipment.order_id else None
    customer_value: Decimal | None = None
    opened: list[int] = []
    refreshed: list[int] = []
    for finding in findings:
        open_one = next((e for e in existing if e.kind == finding.kind and e.resolved_at is None), None)
        if open_one is not None:
            changes: dict[str, Any] = {}
            if finding.delay_days != open_one.delay_days:
                changes["delay_days"] = finding.delay_days
            if finding.new_expected_by and finding.new_expected_by != open_one.new_expected_by:
                changes["new_expected_by"] = finding.new_expected_by
            if _SEVERITY_RANK[Severity(finding.severity)] > _SEVERITY_RANK[Severity(open_one.severity)]:
                changes["severity"] = finding.severity
            if changes:
                for key, value in changes.items():
                    setattr(open_one, key, value)
                open_one.shipment = shipment
                if customer_value is None:
                    customer_value = _customer_value(order, now)
                changes["impact_score"] = _score(open_one, order, customer_value, now.date())
                DeliveryException.objects.filter(pk=open_one.pk).update(**changes)
                refreshed.append(open_one.pk)
            continue
        if any(e.kind == finding.kind and e.fingerprint == finding.fingerprint for e in existing):
            continue  # this very cause was resolved already
        exception = DeliveryException(
            shipment=shipment,
            order_id=shipment.order_id,
            kind=finding.kind,
            reason=finding.reason,
            severity=finding.severity,
            rule_id=finding.rule,
            fingerprint=finding.fingerprint[:120],
            summary=finding.summary[:255],
            trigger_event_id=finding.trigger_event_id,
            detected_at=now,
            expected_by=finding.expected_by,
            new_expected_by=finding.new_expected_by,
            delay_days=finding.delay_days,
        )
        if customer_value is None:
            customer_value = _customer_value(order, now)
        exception.impact_score = _score(exception, order, customer_value, now.date())
        try:
            with transaction.atomic():
                exception.save()
        except IntegrityError:
            continue  # another writer opened this kind a moment ago
        existing.append(exception)
        audit.record(
            actor=by,
            verb="delivery_exception.opened",
            target=exception,
            data={
                "kind": finding.kind,
                "rule": finding.rule,
                "severity": finding.severity,
                "shipment_id": shipment.pk,
            },
        )
        opened.append(exception.pk)
        _send_opened(exception)
    return opened, refreshed


def _auto_resolve(shipment: Shipment, now: datetime) -> list[int]:
    open_ones = list(
        DeliveryException.objects.select_for_update().filter(shipment=shipment, resolved_at__isnull=True)
    )
    for exception in open_ones:
        exception.status = ExceptionStatus.AUTO_RESOLVED
        exception.resolution = Resolution.DELIVERED
        exception.resolved_at = now
        exception.save(update_fields=["status", "resolution", "resolved_at", "updated_at"])
        audit.record(
            actor=None,
            verb="delivery_exception.auto_resolved",
            target=exception,
            data={
                "kind": exception.kind,
                "delivered_at": shipment.delivered_at.isoformat() if shipment.delivered_at else None,
            },
        )
        _send_resolved(exception)
    return [e.pk for e in open_ones]


def _send_opened(exception: DeliveryException) -> None:
    values = {"exception_id": exception.pk, "shipment_id": exception.shipment_id, "kind": exception.kind}
    transaction.on_commit(lambda: signals.delivery_exception_opened.send(sender=DeliveryException, **values))


def _send_resolved(exception: DeliveryException, by: Any | None = None) -> None:
    values = {
        "exception_id": exception.pk,
        "shipment_id": exception.shipment_id,
        "kind": exception.kind,
        "resolution": exception.resolution,
        "actor_id": getattr(by, "pk", None),
    }
    transaction.on_commit(
        lambda: signals.delivery_exception_resolved.send(sender=DeliveryException, **values)
    )


def _send_changed(exception: DeliveryException, change: str, by: Any | None) -> None:
    values = {
        "exception_id": exception.pk,
        "shipment_id": exception.shipment_id,
        "change": change,
        "actor_id": getattr(by, "pk", None),
    }
    transaction.on_commit(lambda: signals.delivery_exception_changed.send(sender=DeliveryException, **values))


def _lock_exception(exception_id: int) -> DeliveryException:
    exception = (
        DeliveryException.objects.select_for_update(of=("self",))
        .select_related("shipment")
        .filter(pk=exception_id)
        .first()
    )
    if exception is None:
        raise NotFound(_("Delivery exception not found."), field="exception")
    return exception


def _require_unresolved(exception: DeliveryException) -> None:
    if not exception.can_resolve():
        raise Conflict(_("This exception is resolved already."), field="exception", code="resolved")


@transaction.atomic
def exception_assign(*, exception_id: int, by: Any | None, assignee_id: int | None) -> DeliveryException:
    """Give the exception to an agent who may work exceptions (None: unassign)."""
    exception = _lock_exception(exception_id)
    _require_unresolved(exception)
    assignee = None
    if assignee_id is not None:
        assignee = get_user_model().objects.filter(pk=assignee_id, is_active=True).first()
        if assignee is None:
            raise DomainError(_("No active user with this id."), field="assignee_id")
        if not assignee.has_perm(roles.EXCEPTION_WORK):
            raise DomainError(
                _("%(u)s may not work delivery exceptions.") % {"u": assignee}, field="assignee_id"
            )
    before = exception.assigned_to_id
    if before == assignee_id:
        return exception
    exception.assigned_to = assignee
    exception.save(update_fields=["assigned_to", "updated_at"])
    audit.record(
        actor=by,
        verb="delivery_exception.assigned",
        target=exception,
        data={"assignee": [before, assignee_id]},
    )
    _send_changed(exception, "assigned", by)
    return exception


@transaction.atomic
def exception_acknowledge(*, exception_id: int, by: Any | None) -> DeliveryException:
    """An agent has seen it and owns the next step (assigned to them when nobody has it)."""
    exception = _lock_exception(exception_id)
    _require_unresolved(exception)
    if not exception.can_acknowledge():
        raise Conflict(_("This exception was acknowledged already."), field="exception", code="acknowledged")
    exception.status = ExceptionStatus.ACKNOWLEDGED
    exception.acknowledged_at = timezone.now()
    fields = ["status", "acknowledged_at", "updated_at"]
    if exception.assigned_to_id is None and by is not None and getattr(by, "is_authenticated", False):
        exception.assigned_to = by
        fields.append("assigned_to")
    exception.save(update_fields=fields)
    audit.record(actor=by, verb="delivery_exception.acknowledged", target=exception)
    _send_changed(exception, "acknowledged", by)
    return exception


@transaction.atomic
def exception_resolve(
    *, exception_id: int, by: Any | None, resolution: str, note: str = ""
) -> DeliveryException:
    """Close the exception with its outcome: reship, refund, address fix, wait, carrier claim, other."""
    if resolution not in [r.value for r in AGENT_RESOLUTIONS]:
        raise DomainError(
            _("%(r)r is not an outcome; use one of %(all)s.")
            % {"r": resolution, "all": ", ".join(r.value for r in AGENT_RESOLUTIONS)},
            field="resolution",
        )
    if resolution == Resolution.OTHER and not note.strip():
        raise DomainError(_("Say what was done when the outcome is 'other'."), field="note")
    exception = _lock_exception(exception_id)
    _require_unresolved(exception)
    exception.status = ExceptionStatus.RESOLVED
    exception.resolution = resolution
    exception.resolution_note = note.strip()
    exception.resolved_at = timezone.now()
    exception.resolved_by = by if by is not None and getattr(by, "is_authenticated", False) else None
    exception.save(
        update_fields=["status", "resolution", "resolution_note", "resolved_at", "resolved_by", "updated_at"]
    )
    audit.record(
        actor=by,
        verb="delivery_exception.resolved",
        target=exception,
        data={"resolution": resolution, "note": note[:500]},
    )
    _send_resolved(exception, by)
    return exception


@transaction.atomic
def exception_mark_customer_contacted(
    *, exception_id: int, by: Any | None, proactive: bool, at: datetime | None = None
) -> DeliveryException:
    """Record contact about the exception. ``proactive=True``: we told the customer (status
    *customer notified*); ``proactive=False``: the customer contacted us. The first of the two
    decides ``contacted_first`` ("caught proactively")."""
    at = at or timezone.now()
    exception = _lock_exception(exception_id)
    fields = ["updated_at"]
    if proactive:
        if exception.customer_notified_at is None:
            exception.customer_notified_at = at
            fields.append("customer_notified_at")
        if exception.resolved_at is None and exception.status != ExceptionStatus.CUSTOMER_NOTIFIED:
            exception.status = ExceptionStatus.CUSTOMER_NOTIFIED
            fields.append("status")
    else:
        if exception.customer_contacted_us_at is None:
            exception.customer_contacted_us_at = at
            fields.append("customer_contacted_us_at")
        exception.customer_contacts += 1
        fields.append("customer_contacts")
    if exception.contacted_first is None:
        exception.contacted_first = proactive
        fields.append("contacted_first")
    order = Order.objects.filter(pk=exception.order_id).first() if exception.order_id else None
    exception.impact_score = _score(exception, order, _customer_value(order, at), at.date())
    fields.append("impact_score")
    exception.save(update_fields=fields)
    audit.record(
        actor=by,
        verb="delivery_exception.customer_contacted",
        target=exception,
        data={"proactive": proactive, "at": at.isoformat(), "contacted_first": exception.contacted_first},
    )
    _send_changed(exception, "customer_contacted", by)
    return exception


@transaction.atomic
def exception_link_case(*, exception_id: int, by: Any | None, case_id: int) -> DeliveryException:
    """Remember the case opened for the exception (the cases app calls this)."""
    if case_id < 1:
        raise DomainError(_("Not a case id."), field="case_id")
    exception = _lock_exception(exception_id)
    if exception.case_id == case_id:
        return exception
    before = exception.case_id
    exception.case_id = case_id
    exception.save(update_fields=["case_id", "updated_at"])
    audit.record(
        actor=by, verb="delivery_exception.case_linked", target=exception, data={"case_id": [before, case_id]}
    )
    return exception


# --- manual events ------------------------------------------------------------------------------


def tracking_event_add_manual(
    *,
    shipment_id: int,
    by: Any | None,
    occurred_at: datetime,
    status: str,
    description: str,
    location: str = "",
    reason: str = "",
) -> IngestResult:
    """An agent records what the carrier said on the phone (source ``manual``)."""
    if status not in ShipmentStatus.values:
        raise DomainError(_("%(s)r is not a shipment status.") % {"s": status}, field="status")
    if reason and reason not in IncidentReason.values:
        raise DomainError(_("%(r)r is not an incident reason.") % {"r": reason}, field="reason")
    if not description.strip():
        raise DomainError(_("Say what happened."), field="description")
    if timezone.is_naive(occurred_at):
        raise DomainError(_("Give the time with its zone."), field="occurred_at")
    if occurred_at > timezone.now() + timedelta(minutes=5):
        raise DomainError(_("The event cannot be in the future."), field="occurred_at")
    event = RawEvent(
        occurred_at=occurred_at, description=description, status=status, reason=reason, location_text=location
    )
    return tracking_events_ingest(shipment_id=shipment_id, events=[event], source=EventSource.MANUAL, by=by)
