"""The ``shipments`` importer: ``frontline import shipments FILE`` (CSV or XLSX).

One row is one shipment, matched by carrier + tracking number + order number (tracking numbers
are recycled, so never by the number alone). A new one is created through
``services.shipment_create``; a row may also carry the shipment's current status (``status``,
``status_at`` and optionally ``status_code``, ``status_text``, ``location``) and estimate
(``estimated_delivery``), which go through ``services.tracking_events_ingest`` with source
``import`` - so the status event is stored once however often the file is imported, and the
rules see it like any other event. A row that brings nothing new is ``unchanged``.

All rows or none (the framework's default); ``--dry-run`` reports what would happen.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from frontline.audit import services as audit
from frontline.catalog.models import Warehouse
from frontline.core.errors import DomainError
from frontline.core.importing import (
    CREATE,
    UNCHANGED,
    UPDATE,
    ApplyError,
    ApplySummary,
    Column,
    Importer,
    ImportItem,
    ImportReport,
    Progress,
    Row,
    RowError,
)
from frontline.orders.models import Order, OrderLine

from . import services
from .choices import Direction, EventSource, ShipmentStatus
from .models import Carrier, Shipment, ShipmentItem, TrackingEvent
from .normalize import NormalizeError, RawEvent, normalize_event, parse_datetime_text

LOOKUP_CHUNK = 1000


@dataclass
class ShipmentItemRow(ImportItem):
    carrier: str = ""
    tracking_number: str = ""
    order_number: str = ""
    warehouse: str = ""
    service: str = ""
    direction: str = Direction.OUTBOUND
    promised_date: date | None = None
    edd: date | None = None
    label_created_at: datetime | None = None
    package_count: int = 1
    weight: Decimal | None = None
    items: list[tuple[str, int]] = field(default_factory=list)
    event: RawEvent | None = None
    # resolved
    carrier_id: int = 0
    order_id: int | None = None
    warehouse_id: int | None = None
    shipment_id: int | None = None
    line_ids: list[tuple[int, int]] = field(default_factory=list)


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value)
    except ValueError:
        parsed = parse_datetime_text(value)
        return parsed.date() if parsed else None


class ShipmentImporter(Importer):
    kind = "shipments"
    description = (
        "Shipments with their current status and estimate; matched by carrier, tracking and order number."
    )
    permission = "shipping.import_shipment"
    columns = (
        Column("carrier", required=True, help="carrier code: ups, dhl_express, dpd, fedex..."),
        Column("tracking_number", required=True),
        Column("order_number", help="the order it ships; empty for a shipment without an order"),
        Column("warehouse", help="origin warehouse code"),
        Column("service"),
        Column("direction", help=", ".join(Direction.values)),
        Column("promised_date", help="YYYY-MM-DD; default: the order's"),
        Column("estimated_delivery", help="YYYY-MM-DD"),
        Column("label_created_at", help="YYYY-MM-DD HH:MM[+01:00]"),
        Column("package_count"),
        Column("weight", help="kg"),
        Column("items", help="SKU:quantity separated by | (lines of the order); default: the whole order"),
        Column("status", help=", ".join(ShipmentStatus.values)),
        Column("status_at", help="when the status was reported: YYYY-MM-DD HH:MM[+01:00]"),
        Column("status_code", help="the carrier's raw code"),
        Column("status_text", help="the carrier's text"),
        Column("location"),
    )

    def clean_row(self, row: Row) -> ShipmentItemRow | list[RowError]:
        errors: list[RowError] = []

        def fail(column: str, reason: str) -> None:
            errors.append(RowError(row.line, column, reason))

        item = ShipmentItemRow(
            line=row.line, carrier=row.get("carrier").lower(), order_number=row.get("order_number")
        )
        try:
            item.tracking_number = services.clean_tracking_number(row.get("tracking_number"))
        except DomainError as exc:
            fail("tracking_number", exc.message)
        item.warehouse = row.get("warehouse").upper()
        item.service = row.get("service")[:100]
        direction = row.get("direction").lower() or Direction.OUTBOUND
        if direction not in Direction.values:
            fail("direction", f"{direction!r} is not one of {', '.join(Direction.values)}")
        item.direction = direction
        for column, attr in (("promised_date", "promised_date"), ("estimated_delivery", "edd")):
            value = row.get(column)
            if value:
                parsed = _date(value)
                if parsed is None:
                    fail(column, f"{value!r} is not a date (YYYY-MM-DD)")
                setattr(item, attr, parsed)
        label = row.get("label_created_at")
        if label:
            item.label_created_at = parse_datetime_text(label)
            if item.label_created_at is None:
                fail("label_created_at", f"{label!r} is not a date and time")
            elif item.label_created_at.tzinfo is None:
                fail("label_created_at", "give the time zone, e.g. 2026-05-11 09:00+02:00")
        count = row.get("package_count")
        if count:
            if not count.isdigit() or not 1 <= int(count) <= 999:
                fail("package_count", f"{count!r} is not a number of packages (1-999)")
            else:
                item.package_count = int(count)
        weight = row.get("weight").replace(",", ".")
        if weight:
            try:
                item.weight = Decimal(weight)
                if item.weight < 0 or item.weight > Decimal("9999999"):
                    raise InvalidOperation
            except InvalidOperation:
                fail("weight", f"{weight!r} is not a weight in kg")
        for part in filter(None, (p.strip() for p in row.get("items").split("|"))):
            sku, _sep, quantity = part.rpartition(":")
            if not sku or not quantity.strip().isdigit() or int(quantity) < 1:
                fail("items", f"{part!r} is not SKU:quantity")
            else:
                item.items.append((sku.strip(), int(quantity)))
        if item.items and not item.order_number:
            fail("items", "items need an order_number")
        status = row.get("status").lower()
        if status:
            if status not in ShipmentStatus.values:
                fail("status", f"{status!r} is not one of {', '.join(ShipmentStatus.values)}")
            at = row.get("status_at")
            if not at:
                fail("status_at", "is required with a status")
            item.event = RawEvent(
                occurred_at=at,
                status=status,
                code=row.get("status_code"),
                description=row.get("status_text") or status.replace("_", " "),
                location_text=row.get("location"),
            )
            try:
                normalize_event(item.event, fallback_tz="UTC")
            except NormalizeError as exc:
                if at:
                    fail("status_at", str(exc))
        return errors or item

    def item_keys(self, item: ImportItem) -> Iterable[tuple[str, str]]:
        assert isinstance(item, ShipmentItemRow)
        return [("tracking_number", f"{item.carrier}/{item.tracking_number}/{item.order_number}")]

    def resolve(self, items: list[ImportItem]) -> tuple[list[ImportItem], list[RowError]]:
        rows = [i for i in items if isinstance(i, ShipmentItemRow)]
        carriers = {c.code: c for c in Carrier.objects.filter(code__in={r.carrier for r in rows})}
        numbers = sorted({r.order_number for r in rows if r.order_number})
        orders: dict[str, Order] = {}
        for start in range(0, len(numbers), LOOKUP_CHUNK):
            for found in Order.objects.filter(
                number__in=numbers[start : start + LOOKUP_CHUNK]
            ).prefetch_related("lines"):
                orders[found.number] = found
        warehouses = dict(
            Warehouse.objects.filter(code__in={r.warehouse for r in rows}).values_list("code", "pk")
        )
        kept: list[ImportItem] = []
        errors: list[RowError] = []
        for row in rows:
            problems = []
            carrier = carriers.get(row.carrier)
            if carrier is None:
                problems.append(RowError(row.line, "carrier", f"no carrier {row.carrier!r} in Frontline"))
            else:
                row.carrier_id = carrier.pk
            order: Order | None = orders.get(row.order_number) if row.order_number else None
            if row.order_number and order is None:
                problems.append(RowError(row.line, "order_number", f"no order {row.order_number!r}"))
            elif order is not None:
                row.order_id = order.pk
                by_sku: dict[str, int] = {}
                for line in order.lines.all():
                    by_sku.setdefault(line.sku, line.pk)
                for sku, quantity in row.items:
                    if sku not in by_sku:
                        problems.append(
                            RowError(row.line, "items", f"order {order.number} has no line {sku!r}")
                        )
                    else:
                        row.line_ids.append((by_sku[sku], quantity))
            if row.warehouse:
                row.warehouse_id = warehouses.get(row.warehouse)
                if row.warehouse_id is None:
                    problems.append(RowError(row.line, "warehouse", f"no warehouse {row.warehouse!r}"))
            if problems:
                errors.extend(problems)
            else:
                kept.append(row)
        self._plan(kept, carriers)
        return kept, errors

    def _plan(self, rows: Sequence[ImportItem], carriers: dict[str, Carrier]) -> None:
        items = [r for r in rows if isinstance(r, ShipmentItemRow)]
        existing: dict[tuple[int, str, int | None], tuple[int, date | None, str]] = {}
        numbers = sorted({r.tracking_number for r in items})
        for start in range(0, len(numbers), LOOKUP_CHUNK):
            for pk, carrier_id, number, order_id, edd, tz in Shipment.objects.filter(
                tracking_number__in=numbers[start : start + LOOKUP_CHUNK]
            ).values_list(
                "pk", "carrier_id", "tracking_number", "order_id", "current_edd", "origin_warehouse__timezone"
            ):
                existing[(carrier_id, number, order_id)] = (pk, edd, tz or "")
        hashes: dict[int, str] = {}
        for row in items:
            found = existing.get((row.carrier_id, row.tracking_number, row.order_id))
            if found is None:
                row.action = CREATE
                continue
            row.shipment_id, edd, tz = found
            if row.event is not None:
                carrier = next(c for c in carriers.values() if c.pk == row.carrier_id)
                hashes[row.line] = normalize_event(row.event, fallback_tz=tz or carrier.timezone).dedupe_hash
            row.action = UPDATE if (row.edd and row.edd != edd) else UNCHANGED
        known = set(
            TrackingEvent.objects.filter(
                shipment_id__in=[r.shipment_id for r in items if r.shipment_id],
                dedupe_hash__in=list(hashes.values()),
            ).values_list("shipment_id", "dedupe_hash")
        )
        for row in items:
            if (
                row.action == UNCHANGED
                and row.line in hashes
                and (row.shipment_id, hashes[row.line]) not in known
            ):
                row.action = UPDATE

    def apply(
        self, items: Sequence[ImportItem], *, by: Any | None, progress: Progress, report: ImportReport
    ) -> ApplySummary:
        summary = ApplySummary()
        created_ids: list[int] = []
        for item in items:
            assert isinstance(item, ShipmentItemRow)
            try:
                if item.action == CREATE:
                    shipment = services.shipment_create(by=by, data=self._input(item))
                    item.shipment_id = shipment.pk
                    created_ids.append(shipment.pk)
                    summary.created += 1
                elif item.action == UPDATE:
                    summary.updated += 1
                else:
                    summary.unchanged += 1
                if item.action != UNCHANGED and item.shipment_id and (item.event or item.edd):
                    services.tracking_events_ingest(
                        shipment_id=item.shipment_id,
                        events=[item.event] if item.event else [],
                        source=EventSource.IMPORT,
                        by=by,
                        edd=item.edd,
                    )
            except DomainError as exc:
                column = {"events[0].occurred_at": "status_at"}.get(exc.field or "", exc.field or "")
                raise ApplyError(
                    RowError(item.line, column.split(".")[0].split("[")[0], exc.message)
                ) from exc
            progress(1)
        audit.record(
            actor=by,
            verb="shipment.imported",
            data={
                "source": report.source,
                "created": summary.created,
                "updated": summary.updated,
                "unchanged": summary.unchanged,
                "created_ids": created_ids[:1000],
            },
        )
        return summary

    def _input(self, item: ShipmentItemRow) -> services.ShipmentInput:
        lines = item.line_ids
        if (
            not lines
            and item.order_id is not None
            and not ShipmentItem.objects.filter(order_line__order_id=item.order_id).exists()
        ):
            # No items named and nothing of the order shipped yet: the shipment carries it all.
            lines = list(OrderLine.objects.filter(order_id=item.order_id).values_list("pk", "quantity"))
        return services.ShipmentInput(
            carrier_id=item.carrier_id,
            tracking_number=item.tracking_number,
            order_id=item.order_id,
            origin_warehouse_id=item.warehouse_id,
            service=item.service,
            direction=item.direction,
            label_created_at=item.label_created_at,
            promised_date=item.promised_date,
            current_edd=item.edd,
            package_count=item.package_count,
            weight=item.weight,
            items=[services.ItemInput(order_line_id=pk, quantity=q) for pk, q in lines],
        )
