"""Every write to products, warehouses, stock levels, the ledger and inbound restocks.

One function per use case: keyword-only arguments, one transaction, rows read-modify-written
under ``select_for_update`` (the product row first, then its stock levels by warehouse id, so
two services never deadlock), the audit row written inside the transaction, events sent after
commit. Views, the API, imports, the orders app and the demo seeder call these and nothing else.

Stock figures: every change of ``on_hand`` or ``reserved`` appends a ``StockMovement``; summing
the ledger rebuilds them (``stock_levels_rebuild``). ``incoming`` is the remaining quantity of
open inbound lines; ``outgoing`` is the open demand, i.e. what is reserved and not shipped.

Backorder history: when a product's available quantity (on hand - reserved) drops to zero or
below - in one warehouse, or over all active warehouses - a ``BackorderPeriod`` opens; it
closes when the figure is positive again. A reservation beyond what is on hand (allowed for
products that allow backorders) leaves a negative available quantity: units owed to customers.
"""

from __future__ import annotations

import re
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from frontline.audit import services as audit
from frontline.core import search
from frontline.core.errors import Conflict, DomainError, FieldErrors, NotFound

from . import events
from .choices import OPEN_INBOUND, InboundStatus, MovementKind, StockSource, WarehouseKind
from .models import (
    BackorderPeriod,
    InboundShipment,
    InboundShipmentLine,
    Product,
    StockLevel,
    StockMovement,
    TransitTime,
    Warehouse,
)

SEARCH_KIND = "product"
SEARCH_CODE = 4
MAX_QUANTITY = 10_000_000
_SKU = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$")
_BARCODE = re.compile(r"^[0-9]{6,14}$")
_CARRIER = re.compile(r"^[a-z0-9_]{0,50}$")


class InsufficientStock(Conflict):
    """Not enough available stock for the request (and no backorder allowed)."""

    code = "insufficient_stock"


# --- inputs ---------------------------------------------------------------------------------


@dataclass
class ProductInput:
    sku: str
    name: str
    description: str = ""
    category: str = ""
    barcode: str = ""
    attributes: dict[str, Any] = field(default_factory=dict)
    price: Decimal | int | str = Decimal("0")
    currency: str = "EUR"
    low_stock_threshold: int = 5
    allow_backorder: bool = False
    supplier_lead_time_days: int = 14


PRODUCT_FIELDS = (
    "name",
    "description",
    "category",
    "barcode",
    "attributes",
    "price",
    "currency",
    "low_stock_threshold",
    "allow_backorder",
    "supplier_lead_time_days",
)


@dataclass
class InboundLineInput:
    product_id: int
    quantity: int
    expected_date: date | None = None


# --- helpers --------------------------------------------------------------------------------


def search_parts(product: Product) -> list[str]:
    return [product.sku, product.name, product.barcode, product.category]


def _check_quantity(value: Any, name: str, *, allow_zero: bool = False) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise DomainError(_("Enter a whole number."), field=name)
    low = 0 if allow_zero else 1
    if value < low or value > MAX_QUANTITY:
        raise DomainError(
            _("Enter a quantity between %(low)s and %(high)s.") % {"low": low, "high": MAX_QUANTITY},
            field=name,
        )
    return value


def _lock_product(product_id: int, *, field_name: str = "product_id") -> Product:
    product = Product.objects.select_for_update().filter(pk=product_id).first()
    if product is None:
        raise NotFound(_("No such product."), field=field_name)
    return product


def _warehouse(warehouse_id: int, *, field_name: str = "warehouse_id") -> Warehouse:
    warehouse = Warehouse.objects.filter(pk=warehouse_id).first()
    if warehouse is None:
        raise NotFound(_("No such warehouse."), field=field_name)
    if not warehouse.is_active:
        raise DomainError(_("This warehouse is not active."), field=field_name)
    return warehouse


def _lock_level(product_id: int, warehouse_id: int) -> StockLevel:
    """The stock level row, locked; created (empty) when the product was never stocked there."""
    level = (
        StockLevel.objects.select_for_update()
        .filter(product_id=product_id, warehouse_id=warehouse_id)
        .first()
    )
    if level is not None:
        return level
    try:
        with transaction.atomic():
            StockLevel.objects.create(product_id=product_id, warehouse_id=warehouse_id)
    except IntegrityError:
        pass  # created concurrently: lock theirs
    return StockLevel.objects.select_for_update().get(product_id=product_id, warehouse_id=warehouse_id)


class _Changes:
    """What one service call did to stock: the movements to write and the events to send."""

    def __init__(self, product: Product, *, by: Any | None, at: datetime) -> None:
        self.product = product
        self.by = by if by is not None and getattr(by, "is_authenticated", False) else None
        self.at = at
        self.before: dict[int, int] = {}
        self.levels: dict[int, StockLevel] = {}
        self.movements: list[StockMovement] = []

    def level(self, warehouse_id: int) -> StockLevel:
        if warehouse_id not in self.levels:
            level = _lock_level(self.product.pk, warehouse_id)
            self.levels[warehouse_id] = level
            self.before[warehouse_id] = level.available
        return self.levels[warehouse_id]

    def move(
        self,
        warehouse_id: int,
        *,
        kind: str,
        delta: int = 0,
        reserved_delta: int = 0,
        reference: str = "",
        note: str = "",
    ) -> StockMovement:
        level = self.level(warehouse_id)
        level.on_hand += delta
        level.reserved += reserved_delta
        level.outgoing = max(level.reserved, 0)
        movement = StockMovement(
            product_id=self.product.pk,
            warehouse_id=warehouse_id,
            kind=kind,
            delta=delta,
            reserved_delta=reserved_delta,
            reference=reference[:100],
            note=note[:500],
            occurred_at=self.at,
            actor=self.by,
        )
        self.movements.append(movement)
        return movement

    def save(self, *, extra_fields: Sequence[str] = ()) -> None:
        fields = ["on_hand", "reserved", "outgoing", "updated_at", *extra_fields]
        for warehouse_id in sorted(self.levels):
            self.levels[warehouse_id].save(update_fields=fields)
        StockMovement.objects.bulk_create(self.movements)
        _sync_backorders(self.product.pk, self.before, at=self.at)
        _stock_changed_on_commit(
            self.product.pk, sorted(self.levels), sorted({m.kind for m in self.movements})
        )


def _stock_changed_on_commit(product_id: int, warehouse_ids: list[int], kinds: list[str]) -> None:
    transaction.on_commit(
        lambda: events.stock_changed.send(
            sender=StockLevel, product_id=product_id, warehouse_ids=warehouse_ids, kinds=kinds
        )
    )


def _sync_backorders(product_id: int, before: Mapping[int, int], *, at: datetime) -> None:
    """Open or close backorder periods for the warehouses whose figures changed and overall.

    ``before`` is each changed warehouse's available quantity before the change. A period
    opens when available drops from positive to zero or below, or is negative (units owed) with
    none open; it closes when available is positive again.
    """
    available = dict(
        StockLevel.objects.filter(product_id=product_id, warehouse__is_active=True)
        .annotate(free=F("on_hand") - F("reserved"))
        .values_list("warehouse_id", "free")
    )
    open_periods = {
        p.warehouse_id: p
        for p in BackorderPeriod.objects.filter(product_id=product_id, ended_at__isnull=True)
    }
    overall_now = sum(available.values())
    overall_before = overall_now - sum(available.get(w, b) - b for w, b in before.items())
    checks: list[tuple[int | None, int, int]] = [
        (warehouse_id, previous, available[warehouse_id])
        for warehouse_id, previous in before.items()
        if warehouse_id in available
    ]
    checks.append((None, overall_before, overall_now))
    for warehouse_id, previous, now in checks:
        period = open_periods.get(warehouse_id)
        if period is None and now <= 0 and (previous > 0 or now < 0):
            period = BackorderPeriod.objects.create(
                product_id=product_id, warehouse_id=warehouse_id, started_at=at
            )
            _send_on_commit(events.backorder_started, product_id, warehouse_id, period.pk)
        elif period is not None and now > 0:
            period.ended_at = at
            period.save(update_fields=["ended_at"])
            _send_on_commit(events.backorder_ended, product_id, warehouse_id, period.pk)


def _send_on_commit(signal: Any, product_id: int, warehouse_id: int | None, period_id: int) -> None:
    transaction.on_commit(
        lambda: signal.send(
            sender=BackorderPeriod, product_id=product_id, warehouse_id=warehouse_id, period_id=period_id
        )
    )


def _level_data(level: StockLevel) -> dict[str, int]:
    return {"on_hand": level.on_hand, "reserved": level.reserved, "available": level.available}


# --- stock: the orders app's calls ------------------------------------------------------------


@transaction.atomic
def stock_reserve(
    *,
    product_id: int,
    warehouse_id: int,
    quantity: int,
    reference: str,
    by: Any | None = None,
    allow_backorder: bool | None = None,
) -> StockLevel:
    """Set ``quantity`` aside for an order line (``reference``: the order number).

    Refused with ``InsufficientStock`` (field ``quantity``) when fewer are available, unless
    backorders are allowed - by the product (``allow_backorder=None``) or explicitly - in which
    case the shortfall is reserved anyway and available goes negative (backordered units).
    """
    _check_quantity(quantity, "quantity")
    product = _lock_product(product_id)
    _warehouse(warehouse_id)
    changes = _Changes(product, by=by, at=timezone.now())
    level = changes.level(warehouse_id)
    backorder_ok = product.allow_backorder if allow_backorder is None else allow_backorder
    if product.is_discontinued:
        backorder_ok = False
    if level.available < quantity and not backorder_ok:
        raise InsufficientStock(
            _("Only %(available)s available in this warehouse; %(quantity)s requested.")
            % {"available": max(level.available, 0), "quantity": quantity},
            field="quantity",
        )
    changes.move(warehouse_id, kind=MovementKind.RESERVATION, reserved_delta=quantity, reference=reference)
    changes.save()
    audit.record(
        actor=by,
        verb="stock.reserved",
        target=product,
        data={
            "warehouse_id": warehouse_id,
            "quantity": quantity,
            "reference": reference,
            **_level_data(level),
        },
    )
    return level


@transaction.atomic
def stock_release(
    *, product_id: int, warehouse_id: int, quantity: int, reference: str, by: Any | None = None
) -> StockLevel:
    """Give back a reservation (order cancelled or line reduced)."""
    _check_quantity(quantity, "quantity")
    product = _lock_product(product_id)
    changes = _Changes(product, by=by, at=timezone.now())
    level = changes.level(warehouse_id)
    if quantity > level.reserved:
        raise DomainError(
            _("Only %(reserved)s are reserved in this warehouse.") % {"reserved": level.reserved},
            field="quantity",
        )
    changes.move(warehouse_id, kind=MovementKind.RELEASE, reserved_delta=-quantity, reference=reference)
    changes.save()
    audit.record(
        actor=by,
        verb="stock.released",
        target=product,
        data={
            "warehouse_id": warehouse_id,
            "quantity": quantity,
            "reference": reference,
            **_level_data(level),
        },
    )
    return level


@transaction.atomic
def stock_ship(
    *, product_id: int, warehouse_id: int, quantity: int, reference: str, by: Any | None = None
) -> StockLevel:
    """Reserved units leave the warehouse: on hand and reserved both go down by ``quantity``."""
    _check_quantity(quantity, "quantity")
    product = _lock_product(product_id)
    changes = _Changes(product, by=by, at=timezone.now())
    level = changes.level(warehouse_id)
    if quantity > level.reserved:
        raise DomainError(
            _("Only %(reserved)s are reserved in this warehouse; reserve before shipping.")
            % {"reserved": level.reserved},
            field="quantity",
        )
    if quantity > level.on_hand:
        raise InsufficientStock(
            _("Only %(on_hand)s are on hand in this warehouse.") % {"on_hand": level.on_hand},
            field="quantity",
        )
    changes.move(
        warehouse_id,
        kind=MovementKind.SHIPMENT,
        delta=-quantity,
        reserved_delta=-quantity,
        reference=reference,
    )
    changes.save()
    audit.record(
        actor=by,
        verb="stock.shipped",
        target=product,
        data={
            "warehouse_id": warehouse_id,
            "quantity": quantity,
            "reference": reference,
            **_level_data(level),
        },
    )
    return level


@transaction.atomic
def stock_return(
    *,
    product_id: int,
    warehouse_id: int,
    quantity: int,
    reference: str,
    by: Any | None = None,
    note: str = "",
) -> StockLevel:
    """Returned units back on the shelf."""
    return _stock_in(
        product_id=product_id,
        warehouse_id=warehouse_id,
        quantity=quantity,
        by=by,
        kind=MovementKind.RETURN,
        verb="stock.returned",
        reference=reference,
        note=note,
    )


def _stock_in(
    *,
    product_id: int,
    warehouse_id: int,
    quantity: int,
    by: Any | None,
    kind: str,
    verb: str,
    reference: str,
    note: str,
) -> StockLevel:
    """Units onto the shelf (a return, a receipt without inbound): one movement, one audit row."""
    _check_quantity(quantity, "quantity")
    product = _lock_product(product_id)
    _warehouse(warehouse_id)
    changes = _Changes(product, by=by, at=timezone.now())
    level = changes.level(warehouse_id)
    changes.move(warehouse_id, kind=kind, delta=quantity, reference=reference, note=note)
    changes.save()
    audit.record(
        actor=by,
        verb=verb,
        target=product,
        data={
            "warehouse_id": warehouse_id,
            "quantity": quantity,
            "reference": reference,
            **_level_data(level),
        },
    )
    return level


# --- stock: warehouse work ----------------------------------------------------------------------


@transaction.atomic
def stock_adjust(
    *, product_id: int, warehouse_id: int, delta: int, by: Any | None, note: str, reference: str = ""
) -> StockLevel:
    """Correct the on-hand figure by ``delta`` (damaged, found, miscounted...). ``note`` says why."""
    if isinstance(delta, bool) or not isinstance(delta, int) or delta == 0 or abs(delta) > MAX_QUANTITY:
        raise DomainError(_("Enter a non-zero whole number."), field="delta")
    if not note.strip():
        raise DomainError(_("Say why the stock changes."), field="note")
    product = _lock_product(product_id)
    _warehouse(warehouse_id)
    changes = _Changes(product, by=by, at=timezone.now())
    level = changes.level(warehouse_id)
    if level.on_hand + delta < 0:
        raise DomainError(
            _("Only %(on_hand)s are on hand; the adjustment would make it negative.")
            % {"on_hand": level.on_hand},
            field="delta",
        )
    changes.move(
        warehouse_id, kind=MovementKind.ADJUSTMENT, delta=delta, reference=reference, note=note.strip()
    )
    level.source, level.source_synced_at = StockSource.FRONTLINE, changes.at
    changes.save(extra_fields=["source", "source_synced_at"])
    audit.record(
        actor=by,
        verb="stock.adjusted",
        target=product,
        data={"warehouse_id": warehouse_id, "delta": delta, "note": note.strip(), **_level_data(level)},
    )
    return level


@transaction.atomic
def stock_count(
    *,
    product_id: int,
    warehouse_id: int,
    counted: int,
    by: Any | None,
    note: str = "",
    reference: str = "",
    source: str = StockSource.FRONTLINE,
    as_of: datetime | None = None,
) -> StockLevel:
    """Set the on-hand figure to what was counted (or what an ERP/WMS/sheet says).

    The ledger gets a ``count`` movement for the difference (zero when the count confirms the
    figure); ``source`` and ``as_of`` record where the figure came from and how old it is.
    """
    _check_quantity(counted, "counted", allow_zero=True)
    if source not in StockSource.values:
        raise DomainError(_("Unknown source."), field="source")
    product = _lock_product(product_id)
    _warehouse(warehouse_id)
    changes = _Changes(product, by=by, at=timezone.now())
    level = changes.level(warehouse_id)
    previous = level.on_hand
    changes.move(
        warehouse_id, kind=MovementKind.COUNT, delta=counted - previous, reference=reference, note=note
    )
    level.source, level.source_synced_at = source, as_of or changes.at
    changes.save(extra_fields=["source", "source_synced_at"])
    audit.record(
        actor=by,
        verb="stock.counted",
        target=product,
        data={
            "warehouse_id": warehouse_id,
            "previous": previous,
            "counted": counted,
            "source": source,
            **_level_data(level),
        },
    )
    return level


@transaction.atomic
def stock_transfer(
    *,
    product_id: int,
    from_warehouse_id: int,
    to_warehouse_id: int,
    quantity: int,
    by: Any | None,
    note: str = "",
    reference: str = "",
) -> tuple[StockLevel, StockLevel]:
    """Move available units from one warehouse to another (two ``transfer`` movements)."""
    _check_quantity(quantity, "quantity")
    if from_warehouse_id == to_warehouse_id:
        raise DomainError(_("Choose a different warehouse to transfer to."), field="to_warehouse_id")
    product = _lock_product(product_id)
    _warehouse(from_warehouse_id, field_name="from_warehouse_id")
    _warehouse(to_warehouse_id, field_name="to_warehouse_id")
    changes = _Changes(product, by=by, at=timezone.now())
    for warehouse_id in sorted((from_warehouse_id, to_warehouse_id)):
        changes.level(warehouse_id)
    source = changes.levels[from_warehouse_id]
    if source.available < quantity:
        raise InsufficientStock(
            _("Only %(available)s available to transfer.") % {"available": max(source.available, 0)},
            field="quantity",
        )
    changes.move(
        from_warehouse_id, kind=MovementKind.TRANSFER, delta=-quantity, reference=reference, note=note
    )
    changes.move(to_warehouse_id, kind=MovementKind.TRANSFER, delta=quantity, reference=reference, note=note)
    changes.save()
    audit.record(
        actor=by,
        verb="stock.transferred",
        target=product,
        data={
            "from_warehouse_id": from_warehouse_id,
            "to_warehouse_id": to_warehouse_id,
            "quantity": quantity,
        },
    )
    return source, changes.levels[to_warehouse_id]


@transaction.atomic
def stock_receive(
    *, product_id: int, warehouse_id: int, quantity: int, by: Any | None, reference: str = "", note: str = ""
) -> StockLevel:
    """Goods arrived without an inbound shipment on record (``inbound_receive`` for those with)."""
    return _stock_in(
        product_id=product_id,
        warehouse_id=warehouse_id,
        quantity=quantity,
        by=by,
        kind=MovementKind.RECEIPT,
        verb="stock.received",
        reference=reference,
        note=note,
    )


# --- inbound shipments --------------------------------------------------------------------------


@transaction.atomic
def inbound_create(
    *,
    reference: str,
    warehouse_id: int,
    lines: Sequence[InboundLineInput],
    by: Any | None,
    supplier: str = "",
    supplier_reference: str = "",
    expected_date: date | None = None,
    status: str = InboundStatus.ORDERED,
    carrier_code: str = "",
    tracking_number: str = "",
    note: str = "",
) -> InboundShipment:
    """Record a purchase order / advance ship notice. Open ones count as incoming stock."""
    reference = reference.strip()
    errors: dict[str, list[str]] = {}
    if not reference or len(reference) > 64:
        errors["reference"] = [_("Enter the PO or ASN number (at most 64 characters).")]
    if status not in (InboundStatus.DRAFT, *OPEN_INBOUND):
        errors["status"] = [_("A new inbound shipment is draft, ordered, in transit or on hold.")]
    carrier_code = carrier_code.strip().lower()
    if not _CARRIER.match(carrier_code):
        errors["carrier_code"] = [_("Use the carrier's code, e.g. dhl or ups.")]
    if len(tracking_number) > 100:
        errors["tracking_number"] = [_("At most 100 characters.")]
    if len(supplier) > 200:
        errors["supplier"] = [_("At most 200 characters.")]
    if not lines:
        errors["lines"] = [_("Add at least one line.")]
    seen: set[int] = set()
    for index, line in enumerate(lines):
        try:
            _check_quantity(line.quantity, f"lines[{index}].quantity")
        except DomainError as exc:
            errors[f"lines[{index}].quantity"] = [exc.message]
        if line.product_id in seen:
            errors[f"lines[{index}].product_id"] = [_("This product is already on another line.")]
        seen.add(line.product_id)
    if errors:
        raise FieldErrors(errors)
    warehouse = _warehouse(warehouse_id)
    products = set(Product.objects.filter(pk__in=seen).values_list("pk", flat=True))
    for index, line in enumerate(lines):
        if line.product_id not in products:
            raise NotFound(_("No such product."), field=f"lines[{index}].product_id")
    if InboundShipment.objects.filter(reference=reference).exists():
        raise Conflict(_("An inbound shipment with this reference exists."), field="reference")
    inbound = InboundShipment.objects.create(
        reference=reference,
        supplier=supplier.strip(),
        supplier_reference=supplier_reference.strip()[:100],
        warehouse=warehouse,
        status=status,
        expected_date=expected_date,
        original_expected_date=expected_date,
        carrier_code=carrier_code,
        tracking_number=tracking_number.strip(),
        note=note,
    )
    created = InboundShipmentLine.objects.bulk_create(
        [
            InboundShipmentLine(
                inbound=inbound,
                product_id=line.product_id,
                quantity_ordered=line.quantity,
                expected_date=line.expected_date,
            )
            for line in lines
        ]
    )
    if status in OPEN_INBOUND:
        _add_incoming(warehouse.pk, {line.product_id: line.quantity_ordered for line in created})
    audit.record(
        actor=by,
        verb="inbound.created",
        target=inbound,
        data={"lines": [[line.product_id, line.quantity] for line in lines], "status": status},
    )
    transaction.on_commit(lambda: events.inbound_created.send(sender=InboundShipment, inbound_id=inbound.pk))
    return inbound


def _add_incoming(warehouse_id: int, quantities: Mapping[int, int]) -> None:
    """Add (or, negative, remove) incoming quantities, locking levels in product order."""
    for product_id in sorted(quantities):
        if not quantities[product_id]:
            continue
        level = _lock_level(product_id, warehouse_id)
        level.incoming = max(level.incoming + quantities[product_id], 0)
        level.save(update_fields=["incoming", "updated_at"])
        _stock_changed_on_commit(product_id, [warehouse_id], [])


def _lock_inbound(inbound_id: int) -> InboundShipment:
    inbound = InboundShipment.objects.select_for_update().filter(pk=inbound_id).first()
    if inbound is None:
        raise NotFound(_("No such inbound shipment."), field="inbound_id")
    return inbound


@transaction.atomic
def inbound_reschedule(
    *, inbound_id: int, expected_date: date, by: Any | None, note: str = ""
) -> InboundShipment:
    """The supplier or carrier gave a new arrival date. The first promise is kept."""
    if not isinstance(expected_date, date):
        raise DomainError(_("Enter a date."), field="expected_date")
    inbound = _lock_inbound(inbound_id)
    if not inbound.is_open and inbound.status != InboundStatus.DRAFT:
        raise DomainError(_("This inbound shipment is closed."), field="expected_date")
    old = inbound.expected_date
    if old == expected_date:
        return inbound
    inbound.expected_date = expected_date
    if inbound.original_expected_date is None:
        inbound.original_expected_date = expected_date
    inbound.save(update_fields=["expected_date", "original_expected_date", "updated_at"])
    audit.record(
        actor=by,
        verb="inbound.rescheduled",
        target=inbound,
        data={"from": old.isoformat() if old else None, "to": expected_date.isoformat(), "note": note},
    )
    product_ids = list(inbound.lines.values_list("product_id", flat=True))
    warehouse_id = inbound.warehouse_id

    def send() -> None:
        events.inbound_rescheduled.send(
            sender=InboundShipment, inbound_id=inbound.pk, old_date=old, new_date=expected_date
        )
        for product_id in product_ids:
            events.stock_changed.send(
                sender=StockLevel, product_id=product_id, warehouse_ids=[warehouse_id], kinds=[]
            )

    transaction.on_commit(send)
    return inbound


_STATUS_TARGETS = frozenset(
    {
        InboundStatus.ORDERED,
        InboundStatus.IN_TRANSIT,
        InboundStatus.ON_HOLD,
        InboundStatus.CANCELLED,
        InboundStatus.LOST,
    }
)


@transaction.atomic
def inbound_set_status(*, inbound_id: int, status: str, by: Any | None, note: str = "") -> InboundShipment:
    """Ordered / in transit / on hold / cancelled / lost. Receiving sets the received statuses."""
    if status not in _STATUS_TARGETS:
        raise DomainError(_("Choose ordered, in transit, on hold, cancelled or lost."), field="status")
    inbound = _lock_inbound(inbound_id)
    old = inbound.status
    if old == status:
        return inbound
    if old not in OPEN_INBOUND and old != InboundStatus.DRAFT:
        raise DomainError(_("This inbound shipment is closed."), field="status")
    if status == InboundStatus.ORDERED and old == InboundStatus.PARTIALLY_RECEIVED:
        raise DomainError(_("Part of this shipment was received already."), field="status")
    was_open, is_open = old in OPEN_INBOUND, status in OPEN_INBOUND
    if was_open != is_open:
        sign = 1 if is_open else -1
        remaining: dict[int, int] = defaultdict(int)
        for product_id, ordered, received in inbound.lines.values_list(
            "product_id", "quantity_ordered", "quantity_received"
        ):
            remaining[product_id] += sign * (ordered - received)
        _add_incoming(inbound.warehouse_id, remaining)
    inbound.status = status
    inbound.save(update_fields=["status", "updated_at"])
    audit.record(
        actor=by,
        verb="inbound.status_changed",
        target=inbound,
        data={"from": old, "to": status, "note": note},
    )
    transaction.on_commit(
        lambda: events.inbound_status_changed.send(
            sender=InboundShipment, inbound_id=inbound.pk, old_status=old, new_status=status
        )
    )
    return inbound


@transaction.atomic
def inbound_receive(
    *,
    inbound_id: int,
    by: Any | None,
    quantities: Mapping[int, int] | None = None,
    note: str = "",
) -> InboundShipment:
    """Book goods in: ``quantities`` maps line ids to units received now (``None``: all that
    remains). On hand goes up (a ``receipt`` movement per line), incoming goes down, and the
    shipment becomes partially received or received."""
    inbound = _lock_inbound(inbound_id)
    if not inbound.can_receive():
        raise DomainError(
            _("A %(status)s inbound shipment cannot be received.") % {"status": inbound.get_status_display()},
            field="inbound_id",
        )
    lines = list(inbound.lines.select_for_update().order_by("product_id", "id"))
    by_id = {line.pk: line for line in lines}
    if quantities is None:
        wanted = {line.pk: line.remaining for line in lines}
    else:
        wanted = {}
        for line_id, quantity in quantities.items():
            name = f"quantities[{line_id}]"
            if line_id not in by_id:
                raise NotFound(_("This line is not on the shipment."), field=name)
            _check_quantity(quantity, name, allow_zero=True)
            if quantity > by_id[line_id].remaining:
                raise DomainError(
                    _("Only %(remaining)s remain to be received on this line.")
                    % {"remaining": by_id[line_id].remaining},
                    field=name,
                )
            wanted[line_id] = quantity
    if not any(wanted.values()):
        raise DomainError(_("Enter how many units arrived."), field="quantities")
    at = timezone.now()
    received: list[int] = []
    for line in lines:
        quantity = wanted.get(line.pk, 0)
        if not quantity:
            continue
        product = _lock_product(line.product_id)
        changes = _Changes(product, by=by, at=at)
        level = changes.level(inbound.warehouse_id)
        changes.move(
            inbound.warehouse_id,
            kind=MovementKind.RECEIPT,
            delta=quantity,
            reference=inbound.reference,
            note=note,
        )
        level.incoming = max(level.incoming - quantity, 0)
        changes.save(extra_fields=["incoming"])
        line.quantity_received += quantity
        line.save(update_fields=["quantity_received"])
        received.append(line.pk)
    fully = all(line.remaining == 0 for line in lines)
    inbound.status = InboundStatus.RECEIVED if fully else InboundStatus.PARTIALLY_RECEIVED
    if fully:
        inbound.received_at = at
    inbound.save(update_fields=["status", "received_at", "updated_at"])
    audit.record(
        actor=by,
        verb="inbound.received",
        target=inbound,
        data={"lines": {str(k): v for k, v in wanted.items() if v}, "fully_received": fully, "note": note},
    )
    transaction.on_commit(
        lambda: events.inbound_received.send(
            sender=InboundShipment, inbound_id=inbound.pk, line_ids=received, fully_received=fully
        )
    )
    return inbound


# --- products and warehouses --------------------------------------------------------------------


def _clean_product_values(values: Mapping[str, Any], *, prefix: str = "") -> dict[str, Any]:
    """Validate product fields; ``FieldErrors`` naming every bad one."""
    errors: dict[str, list[str]] = {}
    clean: dict[str, Any] = {}

    def fail(name: str, message: str) -> None:
        errors.setdefault(prefix + name, []).append(message)

    for name, value in values.items():
        if name == "sku":
            sku = str(value).strip()
            if not _SKU.match(sku):
                fail(
                    name, _("A SKU is 1 to 64 letters, digits and . _ / - (starting with a letter or digit).")
                )
            clean[name] = sku
        elif name == "name":
            text = " ".join(str(value).split())
            if not text or len(text) > 255:
                fail(name, _("Enter a name of at most 255 characters."))
            clean[name] = text
        elif name in ("description",):
            clean[name] = str(value)
        elif name == "category":
            text = " ".join(str(value).split())
            if len(text) > 100:
                fail(name, _("At most 100 characters."))
            clean[name] = text
        elif name == "barcode":
            code = re.sub(r"[\s-]", "", str(value))
            if code and not _BARCODE.match(code):
                fail(name, _("A barcode (GTIN/EAN/UPC) is 6 to 14 digits."))
            clean[name] = code
        elif name == "attributes":
            if not isinstance(value, dict):
                fail(name, _("Attributes are name/value pairs."))
            clean[name] = value
        elif name == "price":
            try:
                price = Decimal(str(value))
            except (InvalidOperation, ValueError):
                fail(name, _("Enter a price such as 19.99."))
                continue
            if not price.is_finite() or price < 0 or price >= Decimal("1e10") or price != round(price, 2):
                fail(name, _("Enter a price of at least 0 with at most two decimals."))
            clean[name] = price
        elif name == "currency":
            code = str(value).strip().upper()
            if not re.match(r"^[A-Z]{3}$", code):
                fail(name, _("Use a three-letter currency code such as EUR."))
            clean[name] = code
        elif name in ("low_stock_threshold", "supplier_lead_time_days"):
            high = 1_000_000 if name == "low_stock_threshold" else 365
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= high:
                fail(name, _("Enter a whole number from 0 to %(high)s.") % {"high": high})
            clean[name] = value
        elif name == "allow_backorder":
            if not isinstance(value, bool):
                fail(name, _("Yes or no."))
            clean[name] = value
        else:
            fail(name, _("Unknown field."))
    if errors:
        raise FieldErrors(errors)
    return clean


def _product_values(data: ProductInput) -> dict[str, Any]:
    return {"sku": data.sku, **{name: getattr(data, name) for name in PRODUCT_FIELDS}}


@transaction.atomic
def product_create(*, data: ProductInput, by: Any | None) -> Product:
    values = _clean_product_values(_product_values(data))
    if Product.objects.filter(sku=values["sku"]).exists():
        raise Conflict(_("A product with this SKU exists."), field="sku")
    product = Product.objects.create(**values)
    search.index_document(SEARCH_KIND, product.pk, search_parts(product))
    audit.record(actor=by, verb="product.created", target=product, data={"sku": product.sku})
    transaction.on_commit(lambda: events.product_created.send(sender=Product, product_id=product.pk))
    return product


@transaction.atomic
def product_create_many(
    *, items: Sequence[ProductInput], by: Any | None, batch_size: int = 1000
) -> list[Product]:
    """Many new products at once (imports, demo data): the rules of ``product_create``, a few
    queries per thousand products, one audit entry."""
    products: list[Product] = []
    skus: set[str] = set()
    for index, data in enumerate(items):
        values = _clean_product_values(_product_values(data), prefix=f"[{index}].")
        if values["sku"] in skus:
            raise Conflict(_("This SKU is on another row."), field=f"[{index}].sku")
        skus.add(values["sku"])
        products.append(Product(**values))
    existing = set()
    sku_list = sorted(skus)
    for start in range(0, len(sku_list), batch_size):
        existing |= set(
            Product.objects.filter(sku__in=sku_list[start : start + batch_size]).values_list("sku", flat=True)
        )
    if existing:
        raise Conflict(_("A product with this SKU exists: %(sku)s.") % {"sku": min(existing)}, field="sku")
    created: list[Product] = []
    for start in range(0, len(products), batch_size):
        batch = Product.objects.bulk_create(products[start : start + batch_size])
        if any(p.pk is None for p in batch):  # backends without RETURNING
            by_sku = dict(Product.objects.filter(sku__in=[p.sku for p in batch]).values_list("sku", "pk"))
            for product in batch:
                product.pk = by_sku[product.sku]
        search.index_many(SEARCH_KIND, [(p.pk, search_parts(p)) for p in batch])
        created.extend(batch)
    audit.record(actor=by, verb="product.created_many", data={"count": len(created)})
    ids = [p.pk for p in created]
    transaction.on_commit(lambda: [events.product_created.send(sender=Product, product_id=pk) for pk in ids])
    return created


@transaction.atomic
def product_update(*, product_id: int, changes: Mapping[str, Any], by: Any | None) -> Product:
    """Change product fields (``PRODUCT_FIELDS``); unchanged values are ignored."""
    unknown = [name for name in changes if name not in PRODUCT_FIELDS]
    if unknown:
        raise DomainError(_("This field cannot be changed here."), field=unknown[0])
    values = _clean_product_values(changes)
    product = _lock_product(product_id)
    before = {name: getattr(product, name) for name in values}
    changed = audit.changes(before, values)
    if not changed:
        return product
    for name in changed:
        setattr(product, name, values[name])
    product.save(update_fields=[*changed, "updated_at"])
    if {"name", "barcode", "category"} & changed.keys():
        search.index_document(SEARCH_KIND, product.pk, search_parts(product))
    audit.record(actor=by, verb="product.updated", target=product, data={"changes": changed})
    fields = sorted(changed)
    transaction.on_commit(
        lambda: events.product_updated.send(sender=Product, product_id=product.pk, fields=fields)
    )
    if {"low_stock_threshold", "allow_backorder"} & changed.keys():
        _stock_changed_on_commit(product.pk, [], [])
    return product


@transaction.atomic
def product_discontinue(*, product_id: int, by: Any | None, at: datetime | None = None) -> Product:
    """No more restocks: the product shows as discontinued and cannot be backordered."""
    product = _lock_product(product_id)
    if product.discontinued_at is not None:
        raise DomainError(_("This product is discontinued already."), field="product_id")
    product.discontinued_at = at or timezone.now()
    product.save(update_fields=["discontinued_at", "updated_at"])
    audit.record(actor=by, verb="product.discontinued", target=product)
    transaction.on_commit(
        lambda: events.product_updated.send(sender=Product, product_id=product.pk, fields=["discontinued_at"])
    )
    _stock_changed_on_commit(product.pk, [], [])
    return product


@transaction.atomic
def warehouse_create(
    *,
    code: str,
    name: str,
    by: Any | None,
    kind: str = WarehouseKind.OWN,
    country: str = "",
    timezone_name: str = "Europe/Berlin",
    cutoff_time: time = time(14, 0),
    handling_days: int = 1,
    address: Mapping[str, str] | None = None,
) -> Warehouse:
    errors: dict[str, list[str]] = {}
    code = code.strip().upper()
    if not re.match(r"^[A-Z0-9_-]{1,20}$", code):
        errors["code"] = [_("A code is 1 to 20 letters, digits, _ or -.")]
    if not name.strip() or len(name) > 200:
        errors["name"] = [_("Enter a name of at most 200 characters.")]
    if kind not in WarehouseKind.values:
        errors["kind"] = [_("Unknown kind.")]
    if country and not re.match(r"^[A-Z]{2}$", country):
        errors["country"] = [_("Use a two-letter ISO country code.")]
    try:
        zoneinfo.ZoneInfo(timezone_name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        errors["timezone"] = [_("Unknown time zone.")]
    if isinstance(handling_days, bool) or not isinstance(handling_days, int) or not 0 <= handling_days <= 30:
        errors["handling_days"] = [_("Enter 0 to 30 business days.")]
    if errors:
        raise FieldErrors(errors)
    if Warehouse.objects.filter(code=code).exists():
        raise Conflict(_("A warehouse with this code exists."), field="code")
    warehouse = Warehouse.objects.create(
        code=code,
        name=name.strip(),
        kind=kind,
        country=country,
        timezone=timezone_name,
        cutoff_time=cutoff_time,
        handling_days=handling_days,
        address=dict(address or {}),
    )
    audit.record(actor=by, verb="warehouse.created", target=warehouse)
    return warehouse


@transaction.atomic
def transit_time_set(
    *,
    warehouse_id: int,
    carrier_code: str,
    business_days: int,
    by: Any | None,
    service: str = "",
    country: str = "",
    is_default: bool = False,
) -> TransitTime:
    """Create or change how long a carrier service takes from a warehouse to a country."""
    carrier_code = carrier_code.strip().lower()
    if not carrier_code or not _CARRIER.match(carrier_code):
        raise DomainError(_("Use the carrier's code, e.g. dhl or ups."), field="carrier_code")
    if country and not re.match(r"^[A-Z]{2}$", country):
        raise DomainError(_("Use a two-letter ISO country code, or leave it empty for any."), field="country")
    if isinstance(business_days, bool) or not isinstance(business_days, int) or not 0 <= business_days <= 60:
        raise DomainError(_("Enter 0 to 60 business days."), field="business_days")
    _warehouse(warehouse_id)
    transit, _created = TransitTime.objects.update_or_create(
        warehouse_id=warehouse_id,
        carrier_code=carrier_code,
        service=service.strip()[:50],
        country=country,
        defaults={"business_days": business_days, "is_default": is_default},
    )
    audit.record(
        actor=by,
        verb="transit_time.set",
        target=transit,
        data={"business_days": business_days, "is_default": is_default},
    )
    return transit


# --- rebuilding ---------------------------------------------------------------------------------


@transaction.atomic
def stock_levels_rebuild(*, by: Any | None = None, product_ids: Iterable[int] | None = None) -> int:
    """Recompute on hand and reserved from the ledger and incoming from open inbound lines.

    Returns how many stock levels were corrected (0 when the figures were consistent). Levels
    are locked while they are compared, so no service changes them in between.
    """
    movements = StockMovement.objects.all()
    lines = InboundShipmentLine.objects.filter(inbound__status__in=OPEN_INBOUND)
    levels_qs = StockLevel.objects.select_for_update()
    ids = sorted(set(product_ids)) if product_ids is not None else None
    if ids is not None:
        movements = movements.filter(product_id__in=ids)
        lines = lines.filter(product_id__in=ids)
        levels_qs = levels_qs.filter(product_id__in=ids)
    existing = {
        (lv.product_id, lv.warehouse_id): lv for lv in levels_qs.order_by("product_id", "warehouse_id")
    }
    expected: dict[tuple[int, int], list[int]] = defaultdict(lambda: [0, 0, 0])
    for product_id, warehouse_id, on_hand, reserved in (
        movements.values("product_id", "warehouse_id")
        .annotate(on_hand=Sum("delta"), reserved=Sum("reserved_delta"))
        .values_list("product_id", "warehouse_id", "on_hand", "reserved")
    ):
        expected[(product_id, warehouse_id)][:2] = [on_hand or 0, reserved or 0]
    for product_id, warehouse_id, open_quantity in (
        lines.values("product_id", "inbound__warehouse_id")
        .annotate(open_quantity=Sum(F("quantity_ordered") - F("quantity_received")))
        .values_list("product_id", "inbound__warehouse_id", "open_quantity")
    ):
        expected[(product_id, warehouse_id)][2] = open_quantity or 0
    fixed: list[StockLevel] = []
    new: list[StockLevel] = []
    for key in sorted(set(existing) | set(expected)):
        on_hand, reserved, incoming = expected.get(key, [0, 0, 0])
        level = existing.get(key)
        if level is None:
            new.append(
                StockLevel(
                    product_id=key[0],
                    warehouse_id=key[1],
                    on_hand=on_hand,
                    reserved=reserved,
                    outgoing=max(reserved, 0),
                    incoming=incoming,
                )
            )
        elif (level.on_hand, level.reserved, level.incoming, level.outgoing) != (
            on_hand,
            reserved,
            incoming,
            max(reserved, 0),
        ):
            level.on_hand, level.reserved, level.incoming, level.outgoing = (
                on_hand,
                reserved,
                incoming,
                max(reserved, 0),
            )
            fixed.append(level)
    StockLevel.objects.bulk_update(fixed, ["on_hand", "reserved", "incoming", "outgoing"], batch_size=1000)
    StockLevel.objects.bulk_create(new, batch_size=1000)
    count = len(fixed) + len(new)
    if count:
        audit.record(actor=by, verb="stock.rebuilt", data={"levels_corrected": count})
        for product_id in sorted({level.product_id for level in (*fixed, *new)}):
            _stock_changed_on_commit(product_id, [], [])
    return count


@transaction.atomic
def stock_load_initial(
    *,
    rows: Sequence[tuple[int, int, int]],
    by: Any | None,
    source: str = StockSource.IMPORT,
    as_of: datetime | None = None,
    reference: str = "initial load",
    batch_size: int = 2000,
) -> int:
    """First figures for many (product id, warehouse id, on hand) at once - a go-live load or
    demo data - as ``count`` movements and new stock levels, a few queries per thousand rows.

    Refused (``Conflict``, field ``rows``) when any of them already has a stock level: later
    figures go through ``stock_count``, which keeps backorder history.
    """
    if source not in StockSource.values:
        raise DomainError(_("Unknown source."), field="source")
    keys = set()
    for index, (_product_id, _warehouse_id, on_hand) in enumerate(rows):
        _check_quantity(on_hand, f"rows[{index}]", allow_zero=True)
        keys.add((_product_id, _warehouse_id))
    if len(keys) != len(rows):
        raise DomainError(_("A product and warehouse appear twice."), field="rows")
    product_ids = sorted({key[0] for key in keys})
    for start in range(0, len(product_ids), batch_size):
        chunk = product_ids[start : start + batch_size]
        if any(
            (p, w) in keys
            for p, w in StockLevel.objects.filter(product_id__in=chunk).values_list(
                "product_id", "warehouse_id"
            )
        ):
            raise Conflict(_("Some of these products already have stock figures."), field="rows")
    at = timezone.now()
    actor = by if by is not None and getattr(by, "is_authenticated", False) else None
    for start in range(0, len(rows), batch_size):
        batch = rows[start : start + batch_size]
        StockLevel.objects.bulk_create(
            [
                StockLevel(
                    product_id=p, warehouse_id=w, on_hand=n, source=source, source_synced_at=as_of or at
                )
                for p, w, n in batch
            ]
        )
        StockMovement.objects.bulk_create(
            [
                StockMovement(
                    product_id=p,
                    warehouse_id=w,
                    kind=MovementKind.COUNT,
                    delta=n,
                    reference=reference[:100],
                    occurred_at=at,
                    actor=actor,
                )
                for p, w, n in batch
                if n
            ]
        )
    audit.record(
        actor=by, verb="stock.loaded", data={"rows": len(rows), "source": source, "reference": reference}
    )
    return len(rows)
