"""Every write to orders, their lines, holds and status history.

Each function is one use case: keyword-only arguments, one transaction, the order row locked
(``select_for_update``) before it is read and changed, the audit row written inside it, a
timeline entry on the customer for what the customer would notice (placed, held, released,
backordered, cancelled, shipped, delivered), events sent after commit. Views, the API, the
importer, the shipping app and the demo seeder call these.

Stock is not touched here yet: where the catalog's reserve/release services will be called is
marked ``# catalog:`` (allocation, cancellation).

SHIPPED, PARTIALLY_SHIPPED and DELIVERED are never set by hand: they derive from the shipments,
which the shipping app reports through :func:`order_shipping_progress`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from frontline.audit import services as audit
from frontline.catalog.models import Product, Warehouse
from frontline.core.errors import Conflict, DomainError, FieldErrors, NotFound
from frontline.customers import services as customer_services
from frontline.customers.choices import ContactKind, CustomerStatus, InteractionKind
from frontline.customers.models import Customer
from frontline.customers.normalize import clean_contact

from . import events
from .choices import HoldReason, LineStatus, OrderChannel, OrderStatus
from .models import Order, OrderHold, OrderLine, OrderStatusChange
from .status import format_day

NUMBER_PATTERN = re.compile(r"^[\w#./-]{1,40}$")
MAX_LINES = 500
MAX_QUANTITY = 1_000_000
MONEY_LIMIT = Decimal("9999999999.99")
CREATABLE_STATUSES = (OrderStatus.PENDING, OrderStatus.CONFIRMED)


# --- inputs ---------------------------------------------------------------------------------


@dataclass
class OrderLineInput:
    """One line: a product by id or SKU (its name and price are the defaults), and a quantity.

    A SKU unknown to the catalog is accepted with a ``name`` (marketplace items, services).
    """

    quantity: int
    sku: str = ""
    product_id: int | None = None
    name: str = ""
    unit_price: Decimal | None = None
    source_warehouse_id: int | None = None


@dataclass
class OrderInput:
    number: str
    customer_id: int
    lines: list[OrderLineInput]
    placed_at: datetime | None = None
    channel: str = OrderChannel.WEB
    status: str = OrderStatus.PENDING
    currency: str = "EUR"
    shipping_total: Decimal = Decimal("0")
    tax_total: Decimal = Decimal("0")
    email: str = ""
    phone: str = ""
    shipping_address: dict[str, Any] = field(default_factory=dict)
    billing_address: dict[str, Any] = field(default_factory=dict)
    promised_delivery_date: date | None = None
    external_ref: str = ""


# --- helpers --------------------------------------------------------------------------------


def _on_commit(fn: Callable[[], Any]) -> None:
    transaction.on_commit(fn)


def _is_user(actor: Any) -> bool:
    return actor is not None and bool(getattr(actor, "is_authenticated", False))


def _username(actor: Any | None) -> str:
    return str(actor.get_username()) if actor is not None and _is_user(actor) else ""


def _lock(order_id: int) -> Order:
    try:
        return Order.objects.select_for_update().get(pk=order_id)
    except Order.DoesNotExist:
        raise NotFound(_("Order %(id)s does not exist.") % {"id": order_id}, field="order") from None


def _set_status(order: Order, to: str, *, by: Any | None, at: datetime, reason: str = "") -> bool:
    """Move ``order`` to ``to`` and append the history row; False when it already is there."""
    before = order.status
    if before == to:
        return False
    OrderStatusChange.objects.create(
        order=order,
        from_status=before,
        to_status=to,
        at=at,
        by=by if _is_user(by) else None,
        by_label=_username(by),
        reason=reason[:500],
    )
    order.status = to
    order.save(update_fields=["status", "updated_at"])
    order_id = order.pk
    _on_commit(
        lambda: events.order_status_changed.send(
            sender=Order, order_id=order_id, from_status=before, to_status=to
        )
    )
    return True


def _timeline(
    order: Order,
    *,
    summary: str,
    by: Any | None,
    at: datetime,
    source: models.Model | None = None,
    body: str = "",
    data: dict[str, Any] | None = None,
    kind: str = InteractionKind.ORDER,
) -> None:
    customer_services.interaction_record(
        customer_id=order.customer_id,
        kind=kind,
        summary=summary,
        body=body,
        actor=by,
        occurred_at=at,
        source=source or order,
        data={"order_id": order.pk, "order_number": order.number, **(data or {})},
    )


def line_status(line: OrderLine) -> str:
    """The status a line's quantities give it (cancelled and returned lines keep theirs)."""
    if line.status in (LineStatus.CANCELLED, LineStatus.RETURNED):
        return line.status
    if line.quantity_shipped >= line.quantity:
        return LineStatus.SHIPPED
    if line.quantity_shipped > 0:
        return LineStatus.PARTIALLY_SHIPPED
    if line.quantity_backordered > 0:
        return LineStatus.BACKORDERED
    if line.quantity_allocated >= line.quantity:
        return LineStatus.ALLOCATED
    if line.quantity_allocated > 0:
        return LineStatus.PARTIALLY_ALLOCATED
    return LineStatus.PENDING


def _today() -> date:
    return timezone.localdate()


def _money(value: Any, name: str, errors: dict[str, list[str]]) -> Decimal:
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        errors[name] = [_("Enter an amount such as 12.50.")]
        return Decimal("0")
    if amount < 0 or amount > MONEY_LIMIT:
        errors[name] = [_("Enter an amount between 0 and 9,999,999,999.99.")]
        return Decimal("0")
    return amount


def _items(lines: Sequence[OrderLine]) -> str:
    return ", ".join(f"{line.quantity} \N{MULTIPLICATION SIGN} {line.name}" for line in lines)


# --- create ---------------------------------------------------------------------------------


@dataclass
class _CleanOrder:
    number: str
    customer: Customer
    lines: list[OrderLine]
    values: dict[str, Any]


def _clean_order(data: OrderInput) -> _CleanOrder:
    """Every check of ``order_create`` that needs no lock: shape, customer, products, totals."""
    errors: dict[str, list[str]] = {}
    number = (data.number or "").strip()
    if not number:
        errors["number"] = [_("This field is required.")]
    elif not NUMBER_PATTERN.match(number):
        errors["number"] = [
            _("Use at most 40 letters, digits and the signs # . / - _ (no spaces) for the order number.")
        ]
    if data.channel not in OrderChannel.values:
        errors["channel"] = [_("Use one of: %(choices)s.") % {"choices": ", ".join(OrderChannel.values)}]
    if data.status not in CREATABLE_STATUSES:
        errors["status"] = [_("A new order is pending or confirmed; holds and shipments set the rest.")]
    currency = (data.currency or "").strip().upper()
    if not (len(currency) == 3 and currency.isalpha()):
        errors["currency"] = [_("Use a three-letter currency code such as EUR or USD.")]
    shipping_total = _money(data.shipping_total, "shipping_total", errors)
    tax_total = _money(data.tax_total, "tax_total", errors)
    email = ""
    if data.email.strip():
        try:
            email = clean_contact(ContactKind.EMAIL, data.email)[1]
        except ValidationError as exc:
            errors["email"] = list(exc.messages)
    phone = ""
    if data.phone.strip():
        try:
            phone = clean_contact(ContactKind.PHONE, data.phone)[1]
        except ValidationError as exc:
            errors["phone"] = list(exc.messages)
    for name in ("shipping_address", "billing_address"):
        if not isinstance(getattr(data, name), dict):
            errors[name] = [_("Send the address as an object of named parts.")]
    if len(data.external_ref or "") > 100:
        errors["external_ref"] = [_("At most %(n)s characters.") % {"n": 100}]
    placed_at = data.placed_at or timezone.now()
    if placed_at > timezone.now() + timedelta(minutes=5):
        errors["placed_at"] = [_("An order cannot be placed in the future.")]

    customer = Customer.objects.filter(pk=data.customer_id).first() if data.customer_id else None
    if customer is None:
        errors["customer_id"] = [_("Customer %(id)s does not exist.") % {"id": data.customer_id}]
    elif customer.status == CustomerStatus.MERGED:
        errors["customer_id"] = [
            _("Customer %(id)s was merged into %(target)s; place the order on that customer.")
            % {"id": customer.pk, "target": customer.merged_into_id}
        ]

    if not data.lines:
        errors["lines"] = [_("An order needs at least one line.")]
    elif len(data.lines) > MAX_LINES:
        errors["lines"] = [_("An order has at most %(n)s lines.") % {"n": MAX_LINES}]
    product_ids = {item.product_id for item in data.lines[:MAX_LINES] if item.product_id}
    skus = {item.sku.strip() for item in data.lines[:MAX_LINES] if item.sku.strip() and not item.product_id}
    products: dict[Any, Product] = {}
    if product_ids or skus:
        for found in Product.objects.filter(models.Q(pk__in=product_ids) | models.Q(sku__in=skus)):
            products[found.pk] = found
            products[found.sku] = found
    warehouse_ids = {item.source_warehouse_id for item in data.lines[:MAX_LINES] if item.source_warehouse_id}
    known_warehouses = (
        set(Warehouse.objects.filter(pk__in=warehouse_ids).values_list("pk", flat=True))
        if warehouse_ids
        else set()
    )
    lines: list[OrderLine] = []
    for index, item in enumerate(data.lines[:MAX_LINES]):
        prefix = f"lines[{index}]"
        product: Product | None = None
        if item.product_id:
            product = products.get(item.product_id)
            if product is None:
                errors[f"{prefix}.product_id"] = [
                    _("Product %(id)s does not exist.") % {"id": item.product_id}
                ]
        elif item.sku.strip():
            product = products.get(item.sku.strip())
        sku = product.sku if product is not None else item.sku.strip()
        name = (item.name or "").strip() or (product.name if product is not None else "")
        if not item.product_id:
            if not sku:
                errors[f"{prefix}.sku"] = [_("Give the product's SKU or id.")]
            elif len(sku) > 64:
                errors[f"{prefix}.sku"] = [_("At most %(n)s characters.") % {"n": 64}]
            elif product is None and not name:
                errors[f"{prefix}.name"] = [
                    _("SKU %(sku)s is not in the catalog: give the line a name.") % {"sku": sku}
                ]
        if len(name) > 255:
            errors[f"{prefix}.name"] = [_("At most %(n)s characters.") % {"n": 255}]
        if not isinstance(item.quantity, int) or isinstance(item.quantity, bool) or item.quantity < 1:
            errors[f"{prefix}.quantity"] = [_("Order at least 1.")]
        elif item.quantity > MAX_QUANTITY:
            errors[f"{prefix}.quantity"] = [_("At most %(n)s per line.") % {"n": MAX_QUANTITY}]
        if item.unit_price is None:
            price = product.price if product is not None else Decimal("0")
        else:
            price = _money(item.unit_price, f"{prefix}.unit_price", errors)
        if item.source_warehouse_id and item.source_warehouse_id not in known_warehouses:
            errors[f"{prefix}.source_warehouse_id"] = [
                _("Warehouse %(id)s does not exist.") % {"id": item.source_warehouse_id}
            ]
        lines.append(
            OrderLine(
                product=product,
                sku=sku,
                name=name or sku,
                quantity=item.quantity if isinstance(item.quantity, int) else 0,
                unit_price=price,
                source_warehouse_id=item.source_warehouse_id or None,
            )
        )
    if errors:
        raise FieldErrors(errors)
    assert customer is not None
    subtotal = sum((line.unit_price * line.quantity for line in lines), Decimal("0"))
    total = subtotal + shipping_total + tax_total
    if total > MONEY_LIMIT:
        raise DomainError(_("The order total is too large."), field="lines")
    shipping_address = {str(k): v for k, v in data.shipping_address.items()}
    values = {
        "channel": data.channel,
        "placed_at": placed_at,
        "currency": currency,
        "subtotal": subtotal,
        "shipping_total": shipping_total,
        "tax_total": tax_total,
        "total": total,
        "email": email,
        "phone": phone,
        "shipping_address": shipping_address,
        "billing_address": dict(data.billing_address),
        "shipping_postal_code": str(shipping_address.get("postal_code", "") or "").strip()[:20],
        "promised_delivery_date": data.promised_delivery_date,
        "external_ref": (data.external_ref or "").strip(),
        "status": data.status,
    }
    return _CleanOrder(number, customer, lines, values)


@transaction.atomic
def order_create(*, by: Any | None, data: OrderInput) -> Order:
    """A new order with its lines; totals are computed from the lines.

    The customer's organisation is the order's (B2B). The order number is unique: a second
    order with the same number is refused (409, field ``number``).
    """
    clean = _clean_order(data)
    customer = Customer.objects.select_for_update().get(pk=clean.customer.pk)
    if Order.objects.filter(number=clean.number).exists():
        raise Conflict(
            _("An order numbered %(number)s already exists.") % {"number": clean.number},
            field="number",
            code="duplicate",
        )
    order = Order.objects.create(
        number=clean.number,
        customer=customer,
        organisation_id=customer.organisation_id,
        **clean.values,
    )
    for line in clean.lines:
        line.order = order
        line.status = line_status(line)
    OrderLine.objects.bulk_create(clean.lines)
    OrderStatusChange.objects.create(
        order=order,
        from_status="",
        to_status=order.status,
        at=order.placed_at,
        by=by if _is_user(by) else None,
        by_label=_username(by),
        reason=_("Order placed"),
    )
    audit.record(
        actor=by,
        verb="order.created",
        target=order,
        data={
            "customer_id": customer.pk,
            "status": order.status,
            "total": str(order.total),
            "currency": order.currency,
            "lines": [{"sku": line.sku, "quantity": line.quantity} for line in clean.lines],
        },
    )
    _timeline(
        order,
        summary=_("Order %(number)s placed: %(items)s (%(total)s %(currency)s)")
        % {
            "number": order.number,
            "items": _items(clean.lines),
            "total": order.total,
            "currency": order.currency,
        },
        by=by,
        at=order.placed_at,
        data={"status": order.status, "total": str(order.total)},
    )
    order_id = order.pk
    _on_commit(lambda: events.order_created.send(sender=Order, order_id=order_id))
    return order


# --- holds ----------------------------------------------------------------------------------


def hold_reason_text(reason: str, note: str = "") -> str:
    text = str(HoldReason(reason).label) if reason in HoldReason.values else reason
    return f"{text}: {note}" if note else text


@transaction.atomic
def order_hold_place(
    *,
    order_id: int,
    by: Any | None,
    reason: str,
    note: str = "",
    expected_release_date: date | None = None,
    line_id: int | None = None,
    inbound_id: int | None = None,
    inbound_reference: str = "",
    at: datetime | None = None,
) -> OrderHold:
    """Hold the order: it may not ship until every hold is released.

    For an out-of-stock hold the caller passes the inbound restock it waits for
    (``inbound_id``/``inbound_reference``) and that restock's date as ``expected_release_date``;
    ``line_id`` names the line waiting for stock. One active hold per reason.
    """
    order = _lock(order_id)
    when = at or timezone.now()
    errors: dict[str, list[str]] = {}
    if reason not in HoldReason.values:
        errors["reason"] = [_("Use one of: %(choices)s.") % {"choices": ", ".join(HoldReason.values)}]
    note = (note or "").strip()
    inbound_reference = (inbound_reference or "").strip()
    if len(note) > 500:
        errors["note"] = [_("At most %(n)s characters.") % {"n": 500}]
    elif reason == HoldReason.OTHER and not note:
        errors["note"] = [_("Say why the order is held.")]
    if expected_release_date is not None and expected_release_date < _today():
        errors["expected_release_date"] = [_("The expected release date is in the past.")]
    if (
        reason in HoldReason.values
        and reason != HoldReason.OUT_OF_STOCK
        and (inbound_id or inbound_reference)
    ):
        errors["inbound_reference"] = [_("Only an out-of-stock hold waits for an inbound shipment.")]
    if len(inbound_reference) > 100:
        errors["inbound_reference"] = [_("At most %(n)s characters.") % {"n": 100}]
    line = None
    if line_id is not None:
        line = OrderLine.objects.filter(pk=line_id, order_id=order.pk).first()
        if line is None:
            errors["line_id"] = [_("Line %(id)s is not a line of this order.") % {"id": line_id}]
    if errors:
        raise FieldErrors(errors)
    if not order.can_hold():
        raise Conflict(
            _("Order %(number)s is %(status)s; it can no longer be held.")
            % {"number": order.number, "status": order.get_status_display().lower()},
            field="order",
            code="not_open",
        )
    active = list(order.holds.filter(released_at__isnull=True).order_by("placed_at", "pk"))
    if any(h.reason == reason for h in active):
        raise Conflict(
            _("Order %(number)s is already on hold for this reason; release or change that hold.")
            % {"number": order.number},
            field="reason",
            code="already_held",
        )
    if active:
        status_before = active[0].status_before
    elif order.status == OrderStatus.ON_HOLD:
        status_before = OrderStatus.CONFIRMED  # held without a hold row (imported data)
    else:
        status_before = order.status
    hold = OrderHold.objects.create(
        order=order,
        line=line,
        reason=reason,
        note=note,
        placed_at=when,
        placed_by=by if _is_user(by) else None,
        expected_release_date=expected_release_date,
        inbound_id=inbound_id,
        inbound_reference=inbound_reference,
        status_before=status_before,
    )
    _set_status(order, OrderStatus.ON_HOLD, by=by, at=when, reason=hold_reason_text(reason, note))
    audit.record(
        actor=by,
        verb="order.hold_placed",
        target=order,
        data={
            "hold_id": hold.pk,
            "reason": reason,
            "note": note,
            "expected_release_date": expected_release_date.isoformat() if expected_release_date else None,
            "inbound_id": inbound_id,
            "inbound_reference": inbound_reference,
            "line_id": line_id,
        },
    )
    what = hold_reason_text(reason).lower()
    if line is not None and reason == HoldReason.OUT_OF_STOCK:
        what = _("%(item)s out of stock") % {"item": line.name}
    body = ""
    if expected_release_date is not None:
        body = _("Expected release: %(day)s.") % {"day": format_day(expected_release_date)}
    _timeline(
        order,
        summary=_("Order %(number)s on hold: %(what)s") % {"number": order.number, "what": what},
        body=body,
        by=by,
        at=when,
        source=hold,
        data={"hold_id": hold.pk, "reason": reason},
    )
    order_pk, hold_pk = order.pk, hold.pk
    _on_commit(lambda: events.order_hold_placed.send(sender=Order, order_id=order_pk, hold_id=hold_pk))
    return hold


def _release(hold: OrderHold, *, by: Any | None, at: datetime, note: str) -> None:
    hold.released_at = at
    hold.released_by = by if _is_user(by) else None
    hold.release_note = note[:500]
    hold.save(update_fields=["released_at", "released_by", "release_note"])


@transaction.atomic
def order_hold_release(
    *, hold_id: int, by: Any | None, note: str = "", at: datetime | None = None
) -> OrderHold:
    """Release a hold. When it was the order's last active hold, the order goes back to the
    status it had before it was held."""
    order_id = OrderHold.objects.filter(pk=hold_id).values_list("order_id", flat=True).first()
    if order_id is None:
        raise NotFound(_("Hold %(id)s does not exist.") % {"id": hold_id}, field="hold")
    note = (note or "").strip()
    if len(note) > 500:
        raise DomainError(_("At most %(n)s characters.") % {"n": 500}, field="note")
    order = _lock(order_id)
    hold = OrderHold.objects.select_for_update().get(pk=hold_id)
    if not hold.is_active:
        raise Conflict(_("This hold was already released."), field="hold", code="released")
    when = at or timezone.now()
    _release(hold, by=by, at=when, note=note)
    last = not order.holds.filter(released_at__isnull=True).exists()
    if last and order.status == OrderStatus.ON_HOLD:
        _set_status(
            order,
            hold.status_before,
            by=by,
            at=when,
            reason=_("Hold released: %(reason)s") % {"reason": hold_reason_text(hold.reason)},
        )
    audit.record(
        actor=by,
        verb="order.hold_released",
        target=order,
        data={"hold_id": hold.pk, "reason": hold.reason, "note": note, "order_status": order.status},
    )
    _timeline(
        order,
        summary=_("Order %(number)s: hold released (%(reason)s)")
        % {"number": order.number, "reason": hold_reason_text(hold.reason).lower()},
        body=note,
        by=by,
        at=when,
        source=hold,
        data={"hold_id": hold.pk, "reason": hold.reason, "last": last},
    )
    order_pk, hold_pk = order.pk, hold.pk
    _on_commit(lambda: events.order_hold_released.send(sender=Order, order_id=order_pk, hold_id=hold_pk))
    return hold


@transaction.atomic
def order_holds_reschedule_for_inbound(
    *, inbound_id: int, expected_release_date: date, by: Any | None = None
) -> int:
    """The inbound restock ``inbound_id`` now arrives on ``expected_release_date``: move the
    expected release of every active hold waiting for it. Returns how many holds moved.

    For the catalog's "inbound expected date changed" event (see the report: a receiver in
    orders will call this once catalog sends it)."""
    holds = list(
        OrderHold.objects.select_for_update()
        .filter(inbound_id=inbound_id, released_at__isnull=True)
        .exclude(expected_release_date=expected_release_date)
        .select_related("order")
        .order_by("order_id", "pk")
    )
    now = timezone.now()
    for hold in holds:
        before = hold.expected_release_date
        hold.expected_release_date = expected_release_date
        hold.save(update_fields=["expected_release_date"])
        audit.record(
            actor=by,
            verb="order.hold_rescheduled",
            target=hold.order,
            data={
                "hold_id": hold.pk,
                "inbound_id": inbound_id,
                "from": before.isoformat() if before else None,
                "to": expected_release_date.isoformat(),
            },
        )
        _timeline(
            hold.order,
            summary=_("Order %(number)s: restock now expected on %(day)s")
            % {"number": hold.order.number, "day": format_day(expected_release_date)},
            by=by,
            at=now,
            source=hold,
            data={"hold_id": hold.pk, "inbound_id": inbound_id},
        )
    return len(holds)


# --- cancel, allocate, backorder -------------------------------------------------------------


@transaction.atomic
def order_cancel(*, order_id: int, by: Any | None, reason: str, at: datetime | None = None) -> Order:
    """Cancel an order nothing of which has shipped; its active holds are released."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Say why the order is cancelled."), field="reason")
    if len(reason) > 500:
        raise DomainError(_("At most %(n)s characters.") % {"n": 500}, field="reason")
    order = _lock(order_id)
    if order.status == OrderStatus.CANCELLED:
        raise Conflict(_("This order is already cancelled."), field="order", code="cancelled")
    if not order.can_cancel():
        raise Conflict(
            _("Order %(number)s is %(status)s; only orders nothing of which has shipped can be cancelled.")
            % {"number": order.number, "status": order.get_status_display().lower()},
            field="order",
            code="not_open",
        )
    when = at or timezone.now()
    released = []
    for hold in order.holds.select_for_update().filter(released_at__isnull=True):
        _release(hold, by=by, at=when, note=_("Order cancelled"))
        released.append(hold.pk)
    # catalog: release the stock reserved for these lines (quantity_allocated) here.
    order.lines.exclude(status=LineStatus.CANCELLED).update(
        status=LineStatus.CANCELLED, quantity_allocated=0, quantity_backordered=0
    )
    _set_status(order, OrderStatus.CANCELLED, by=by, at=when, reason=reason)
    audit.record(
        actor=by, verb="order.cancelled", target=order, data={"reason": reason, "holds_released": released}
    )
    _timeline(
        order,
        summary=_("Order %(number)s cancelled") % {"number": order.number},
        body=reason,
        by=by,
        at=when,
        data={"reason": reason},
    )
    order_pk = order.pk
    _on_commit(lambda: events.order_cancelled.send(sender=Order, order_id=order_pk))
    return order


def _lock_line(line_id: int) -> tuple[Order, OrderLine]:
    order_id = OrderLine.objects.filter(pk=line_id).values_list("order_id", flat=True).first()
    if order_id is None:
        raise NotFound(_("Order line %(id)s does not exist.") % {"id": line_id}, field="line")
    order = _lock(order_id)
    return order, OrderLine.objects.select_for_update().get(pk=line_id)


def _require_changeable(order: Order, line: OrderLine) -> None:
    if not order.can_hold():
        raise Conflict(
            _("Order %(number)s is %(status)s; its lines can no longer change.")
            % {"number": order.number, "status": order.get_status_display().lower()},
            field="order",
            code="not_open",
        )
    if line.status in (LineStatus.CANCELLED, LineStatus.RETURNED):
        raise Conflict(
            _("This line is %(status)s.") % {"status": line.get_status_display().lower()}, field="line"
        )


@transaction.atomic
def order_line_allocate(
    *, line_id: int, by: Any | None, quantity: int, warehouse_id: int | None = None
) -> OrderLine:
    """Record how much of the line the warehouse has set aside (and from which warehouse).

    Idempotent: the same figures again write nothing."""
    order, line = _lock_line(line_id)
    _require_changeable(order, line)
    open_quantity = line.quantity - line.quantity_shipped
    if quantity < 0 or quantity > open_quantity:
        raise DomainError(
            _("Allocate between 0 and %(n)s (ordered minus shipped).") % {"n": open_quantity},
            field="quantity",
        )
    if warehouse_id is not None and not Warehouse.objects.filter(pk=warehouse_id).exists():
        raise NotFound(_("Warehouse %(id)s does not exist.") % {"id": warehouse_id}, field="warehouse_id")
    new_warehouse = warehouse_id if warehouse_id is not None else line.source_warehouse_id
    if line.quantity_allocated == quantity and line.source_warehouse_id == new_warehouse:
        return line
    before = line.quantity_allocated
    # catalog: reserve (quantity - before) of line.product in new_warehouse here.
    line.quantity_allocated = quantity
    line.source_warehouse_id = new_warehouse
    line.quantity_backordered = min(line.quantity_backordered, open_quantity - quantity)
    line.status = line_status(line)
    line.save(update_fields=["quantity_allocated", "source_warehouse", "quantity_backordered", "status"])
    audit.record(
        actor=by,
        verb="order.line_allocated",
        target=order,
        data={
            "line_id": line.pk,
            "sku": line.sku,
            "from": before,
            "to": quantity,
            "warehouse_id": new_warehouse,
        },
    )
    return line


@transaction.atomic
def order_line_backorder(
    *,
    line_id: int,
    by: Any | None,
    quantity: int,
    expected_ship_date: date | None = None,
    at: datetime | None = None,
) -> OrderLine:
    """Mark ``quantity`` of the line as backordered, expected to ship on ``expected_ship_date``
    (the restock date, when known). ``quantity=0`` clears the backorder. Idempotent."""
    order, line = _lock_line(line_id)
    _require_changeable(order, line)
    open_quantity = line.quantity - line.quantity_shipped
    if quantity < 0 or quantity > open_quantity:
        raise DomainError(
            _("Backorder between 0 and %(n)s (ordered minus shipped).") % {"n": open_quantity},
            field="quantity",
        )
    if quantity and expected_ship_date is not None and expected_ship_date < _today():
        raise DomainError(_("The expected ship date is in the past."), field="expected_ship_date")
    new_date = expected_ship_date if quantity else None
    if line.quantity_backordered == quantity and line.expected_ship_date == new_date:
        return line
    before = line.quantity_backordered
    line.quantity_backordered = quantity
    line.expected_ship_date = new_date
    line.quantity_allocated = min(line.quantity_allocated, open_quantity - quantity)
    line.status = line_status(line)
    line.save(update_fields=["quantity_backordered", "expected_ship_date", "quantity_allocated", "status"])
    when = at or timezone.now()
    audit.record(
        actor=by,
        verb="order.line_backordered",
        target=order,
        data={
            "line_id": line.pk,
            "sku": line.sku,
            "from": before,
            "to": quantity,
            "expected_ship_date": new_date.isoformat() if new_date else None,
        },
    )
    if quantity:
        summary = _("Order %(number)s: %(quantity)s \N{MULTIPLICATION SIGN} %(item)s backordered") % {
            "number": order.number,
            "quantity": quantity,
            "item": line.name,
        }
        body = (
            _("Expected to ship on %(day)s.") % {"day": format_day(new_date)}
            if new_date
            else _("No restock date yet.")
        )
    else:
        summary = _("Order %(number)s: %(item)s no longer backordered") % {
            "number": order.number,
            "item": line.name,
        }
        body = ""
    _timeline(
        order, summary=summary, body=body, by=by, at=when, data={"line_id": line.pk, "backordered": quantity}
    )
    order_pk, line_pk = order.pk, line.pk
    _on_commit(lambda: events.order_line_backordered.send(sender=Order, order_id=order_pk, line_id=line_pk))
    return line


# --- what the shipping app reports ----------------------------------------------------------


def _derived_status(order: Order, lines: Sequence[OrderLine], delivered: bool) -> str:
    """The status the shipped quantities give the order (see ``order_shipping_progress``)."""
    if order.status in (OrderStatus.COMPLETED, OrderStatus.RETURNED, OrderStatus.CANCELLED):
        return order.status
    active = [line for line in lines if line.status not in (LineStatus.CANCELLED, LineStatus.RETURNED)]
    ordered = sum(line.quantity for line in active)
    shipped = sum(min(line.quantity_shipped, line.quantity) for line in active)
    if shipped == 0:
        if order.status in (OrderStatus.PARTIALLY_SHIPPED, OrderStatus.SHIPPED, OrderStatus.DELIVERED):
            return OrderStatus.CONFIRMED  # a correction: nothing has left after all
        return order.status
    if shipped < ordered:
        return OrderStatus.ON_HOLD if order.status == OrderStatus.ON_HOLD else OrderStatus.PARTIALLY_SHIPPED
    return OrderStatus.DELIVERED if delivered else OrderStatus.SHIPPED


@transaction.atomic
def order_shipping_progress(
    *, order_id: int, shipped: dict[int, int], delivered: bool, at: datetime
) -> Order:
    """The shipping app reports the order's shipments: ``shipped`` maps line id -> the total
    quantity shipped on that line so far (lines not named keep theirs); ``delivered`` tells
    whether every shipment of the order was delivered; ``at`` is when that happened.

    The order's status follows: some shipped -> PARTIALLY_SHIPPED, all -> SHIPPED, all and
    delivered -> DELIVERED. An order on hold stays on hold while only part of it has shipped;
    once all of it has shipped its holds are released. A cancelled order refuses (409).
    Idempotent: when nothing changes nothing is written.
    """
    order = _lock(order_id)
    lines = list(OrderLine.objects.select_for_update().filter(order_id=order.pk).order_by("pk"))
    by_id = {line.pk: line for line in lines}
    unknown = sorted(set(shipped) - set(by_id))
    if unknown:
        raise DomainError(
            _("Line(s) %(ids)s are not lines of order %(number)s.")
            % {"ids": ", ".join(map(str, unknown)), "number": order.number},
            field="shipped",
        )
    for line_id, quantity in shipped.items():
        line = by_id[line_id]
        if not isinstance(quantity, int) or isinstance(quantity, bool) or not 0 <= quantity <= line.quantity:
            raise DomainError(
                _("Line %(id)s: shipped must be between 0 and %(n)s.") % {"id": line_id, "n": line.quantity},
                field=f"shipped[{line_id}]",
            )
    if order.status == OrderStatus.CANCELLED and any(shipped.values()):
        raise Conflict(
            _("Order %(number)s is cancelled; a shipment cannot be recorded on it.")
            % {"number": order.number},
            field="order",
            code="cancelled",
        )
    changed: list[OrderLine] = []
    for line in lines:
        if line.pk in shipped and line.quantity_shipped != shipped[line.pk]:
            line.quantity_shipped = shipped[line.pk]
            open_quantity = line.quantity - line.quantity_shipped
            line.quantity_backordered = min(line.quantity_backordered, open_quantity)
            line.quantity_allocated = min(line.quantity_allocated, open_quantity)
            line.status = line_status(line)
            changed.append(line)
    target = _derived_status(order, lines, delivered)
    active_holds = list(order.holds.select_for_update().filter(released_at__isnull=True))
    released: list[int] = []
    if target in (OrderStatus.SHIPPED, OrderStatus.DELIVERED):
        for hold in active_holds:
            _release(hold, by=None, at=at, note=_("Released: the order has shipped."))
            released.append(hold.pk)
    elif target == OrderStatus.ON_HOLD and changed:
        # Part of a held order left: when its holds are released it is partially shipped.
        OrderHold.objects.filter(pk__in=[h.pk for h in active_holds]).update(
            status_before=OrderStatus.PARTIALLY_SHIPPED
        )
    if not changed and target == order.status and not released:
        return order
    if changed:
        OrderLine.objects.bulk_update(
            changed, ["quantity_shipped", "quantity_backordered", "quantity_allocated", "status"]
        )
    before = order.status
    moved = _set_status(order, target, by=None, at=at, reason=_("From the order's shipments"))
    audit.record(
        actor=None,
        verb="order.shipping_progress",
        target=order,
        data={
            "shipped": {str(k): v for k, v in sorted(shipped.items())},
            "delivered": delivered,
            "status": [before, order.status],
            "holds_released": released,
        },
    )
    if moved:
        active = [line for line in lines if line.status not in (LineStatus.CANCELLED, LineStatus.RETURNED)]
        summaries: dict[str, str] = {
            OrderStatus.SHIPPED: _("Order %(number)s shipped"),
            OrderStatus.DELIVERED: _("Order %(number)s delivered"),
            OrderStatus.PARTIALLY_SHIPPED: _("Part of order %(number)s shipped (%(done)s of %(all)s items)"),
            OrderStatus.CONFIRMED: _("Order %(number)s: shipment records corrected, nothing has shipped"),
        }
        template = summaries.get(target)
        if template:
            _timeline(
                order,
                summary=template
                % {
                    "number": order.number,
                    "done": sum(min(line.quantity_shipped, line.quantity) for line in active),
                    "all": sum(line.quantity for line in active),
                },
                by=None,
                at=at,
                data={"status": target},
            )
    return order


@transaction.atomic
def order_event_record(
    *,
    order_id: int,
    kind: str,
    summary: str,
    occurred_at: datetime,
    source: models.Model | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    """Write an entry about the order on its customer's timeline (kind ``order`` or
    ``shipment``), linked to ``source`` (a shipment, an exception...) or else to the order.

    For the shipping app's shipment and exception events. No audit row: the timeline entry is
    the record, and the shipping app audits its own writes.
    """
    if kind not in (InteractionKind.ORDER, InteractionKind.SHIPMENT):
        raise DomainError(_("Use kind order or shipment."), field="kind")
    order = Order.objects.filter(pk=order_id).only("pk", "number", "customer_id").first()
    if order is None:
        raise NotFound(_("Order %(id)s does not exist.") % {"id": order_id}, field="order")
    _timeline(order, summary=summary, by=None, at=occurred_at, source=source, data=data, kind=kind)


# --- customer merge ---------------------------------------------------------------------------


def _merge_move(survivor_id: int, merged_id: int) -> list[int]:
    ids = list(Order.objects.filter(customer_id=merged_id).values_list("pk", flat=True))
    Order.objects.filter(pk__in=ids).update(customer_id=survivor_id)
    return ids


def _merge_undo(merged_id: int, ids: list[int]) -> None:
    Order.objects.filter(pk__in=ids).update(customer_id=merged_id)


def register_merge_handler() -> None:
    """Orders follow their customer when customers are merged (and back when unmerged)."""
    customer_services.register_merge_handler(
        customer_services.MergeHandler(key="orders", move=_merge_move, undo=_merge_undo)
    )
