"""The order services: given an order, when a use case runs, then exactly these rows change.
Refusals leave nothing behind: no order, hold, history row, audit entry or timeline entry."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from frontline.audit.models import AuditEntry
from frontline.core.errors import Conflict, DomainError, FieldErrors, NotFound
from frontline.customers import services as customer_services
from frontline.customers.choices import InteractionKind
from frontline.customers.models import Interaction
from frontline.orders import events, services
from frontline.orders.choices import HoldReason, LineStatus, OrderStatus
from frontline.orders.models import AppendOnlyError, Order, OrderHold, OrderLine, OrderStatusChange
from frontline.orders.services import OrderInput, OrderLineInput

from .factories import CustomerFactory, OrderFactory, UserFactory, product, warehouse

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


@pytest.fixture
def lena():
    return UserFactory(username="lena", role="logistics")


@pytest.fixture
def justine():
    return CustomerFactory(first_name="Justine", last_name="Harrington", email="justine@example.com")


@pytest.fixture
def laptop():
    return product("TG15-16-512", "Titan G15 gaming laptop", "1499.00")


@pytest.fixture
def case():
    return product("PS-NOVA12-CASE", "PowerSnap charging case", "29.90")


def counts() -> tuple[int, int, int, int, int, int]:
    return (
        Order.objects.count(),
        OrderLine.objects.count(),
        OrderHold.objects.count(),
        OrderStatusChange.objects.count(),
        AuditEntry.objects.filter(verb__startswith="order.").count(),
        Interaction.objects.filter(kind__in=[InteractionKind.ORDER, InteractionKind.SHIPMENT]).count(),
    )


def order_for(customer, *lines, **kwargs):
    return OrderFactory(customer=customer, lines=list(lines) or [("TG15-16-512", 1)], **kwargs)


def timeline(customer) -> list[str]:
    return list(
        Interaction.objects.filter(customer=customer, kind__in=["order", "shipment"])
        .order_by("occurred_at", "id")
        .values_list("summary", flat=True)
    )


# --- create -------------------------------------------------------------------------------------


def test_create_computes_totals_snapshots_products_and_records_everything(
    justine, laptop, case, lena, django_capture_on_commit_callbacks
):
    received = []
    events.order_created.connect(lambda **kw: received.append(kw["order_id"]), weak=False)
    placed = timezone.now() - timedelta(hours=3)
    with django_capture_on_commit_callbacks(execute=True):
        order = services.order_create(
            by=lena,
            data=OrderInput(
                number="10023",
                customer_id=justine.pk,
                placed_at=placed,
                status=OrderStatus.CONFIRMED,
                shipping_total=Decimal("4.90"),
                tax_total=Decimal("0"),
                email=" Justine@Example.COM ",
                phone="+49 30 1234567",
                shipping_address={"line1": "Hauptstr. 1", "postal_code": "10115", "city": "Berlin"},
                lines=[
                    OrderLineInput(sku="TG15-16-512", quantity=1),
                    OrderLineInput(sku="PS-NOVA12-CASE", quantity=2, unit_price=Decimal("25.00")),
                    OrderLineInput(
                        sku="GIFT-WRAP", name="Gift wrapping", quantity=1, unit_price=Decimal("3")
                    ),
                ],
            ),
        )
    events.order_created.disconnect()
    order.refresh_from_db()
    assert (order.subtotal, order.total) == (Decimal("1552.00"), Decimal("1556.90"))
    assert order.status == OrderStatus.CONFIRMED
    assert (order.email, order.phone, order.shipping_postal_code) == (
        "justine@example.com",
        "+49301234567",
        "10115",
    )
    lines = list(order.lines.order_by("pk"))
    assert [(ln.sku, ln.name, ln.product_id, ln.unit_price, ln.status) for ln in lines] == [
        ("TG15-16-512", "Titan G15 gaming laptop", laptop.pk, Decimal("1499.00"), LineStatus.PENDING),
        ("PS-NOVA12-CASE", "PowerSnap charging case", case.pk, Decimal("25.00"), LineStatus.PENDING),
        ("GIFT-WRAP", "Gift wrapping", None, Decimal("3.00"), LineStatus.PENDING),
    ]
    change = order.status_changes.get()
    assert (change.from_status, change.to_status, change.at, change.by) == ("", "confirmed", placed, lena)
    assert AuditEntry.objects.filter(verb="order.created", target_id=str(order.pk), actor=lena).count() == 1
    entry = Interaction.objects.get(customer=justine, kind="order")
    assert entry.summary.startswith(
        "Order 10023 placed: 1 \N{MULTIPLICATION SIGN} Titan G15 gaming laptop, 2 \N{MULTIPLICATION SIGN} PowerSnap"
    )
    assert entry.occurred_at == placed and entry.data["order_id"] == order.pk
    assert received == [order.pk]


def test_create_takes_the_customers_organisation():
    customer = CustomerFactory(org="SparePartsPro GmbH")
    order = order_for(customer)
    assert order.organisation_id == customer.organisation_id is not None


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"number": ""}, "number"),
        ({"number": "has space"}, "number"),
        ({"lines": []}, "lines"),
        ({"lines": [OrderLineInput(sku="TG15-16-512", quantity=0)]}, "lines[0].quantity"),
        ({"lines": [OrderLineInput(sku="UNKNOWN", quantity=1)]}, "lines[0].name"),
        ({"lines": [OrderLineInput(product_id=999999, quantity=1)]}, "lines[0].product_id"),
        (
            {"lines": [OrderLineInput(sku="TG15-16-512", quantity=1, unit_price=Decimal("-1"))]},
            "lines[0].unit_price",
        ),
        (
            {"lines": [OrderLineInput(sku="TG15-16-512", quantity=1, source_warehouse_id=99999)]},
            "lines[0].source_warehouse_id",
        ),
        ({"customer_id": 999999}, "customer_id"),
        ({"status": OrderStatus.SHIPPED}, "status"),
        ({"channel": "fax"}, "channel"),
        ({"currency": "EURO"}, "currency"),
        ({"email": "not-an-email"}, "email"),
        ({"phone": "call me"}, "phone"),
        ({"placed_at": timezone.now() + timedelta(days=2)}, "placed_at"),
    ],
)
def test_create_refuses_bad_input_and_writes_nothing(justine, laptop, change, field):
    data = OrderInput(
        number="10023", customer_id=justine.pk, lines=[OrderLineInput(sku="TG15-16-512", quantity=1)]
    )
    for name, value in change.items():
        setattr(data, name, value)
    before = counts()
    with pytest.raises(FieldErrors) as exc:
        services.order_create(by=None, data=data)
    assert field in exc.value.errors
    assert counts() == before


def test_create_refuses_a_duplicate_number(justine, laptop):
    order_for(justine, number="10023")
    before = counts()
    with pytest.raises(Conflict) as exc:
        order_for(justine, number="10023")
    assert exc.value.field == "number"
    assert counts() == before


def test_create_refuses_a_merged_customer(justine, laptop):
    other = CustomerFactory()
    customer_services.customer_merge(survivor_id=justine.pk, merged_id=other.pk, by=None)
    before = counts()
    with pytest.raises(FieldErrors) as exc:
        order_for(other)
    assert "merged" in exc.value.errors["customer_id"][0]
    assert counts() == before


# --- holds --------------------------------------------------------------------------------------


def test_out_of_stock_hold_waits_for_the_inbound_restock(
    justine, laptop, lena, django_capture_on_commit_callbacks
):
    order = order_for(justine, number="10023")
    line = order.lines.get()
    due = TODAY + timedelta(days=2)
    received = []
    events.order_hold_placed.connect(lambda **kw: received.append(kw), weak=False)
    with django_capture_on_commit_callbacks(execute=True):
        hold = services.order_hold_place(
            order_id=order.pk,
            by=lena,
            reason=HoldReason.OUT_OF_STOCK,
            line_id=line.pk,
            expected_release_date=due,
            inbound_id=77,
            inbound_reference="PO-4711",
        )
    events.order_hold_placed.disconnect()
    order.refresh_from_db()
    assert order.status == OrderStatus.ON_HOLD
    assert (
        hold.status_before,
        hold.expected_release_date,
        hold.inbound_id,
        hold.line_id,
        hold.placed_by,
    ) == (
        OrderStatus.CONFIRMED,
        due,
        77,
        line.pk,
        lena,
    )
    last = order.status_changes.order_by("-pk").first()
    assert (last.from_status, last.to_status, last.reason) == ("confirmed", "on_hold", "Out of stock")
    assert AuditEntry.objects.filter(verb="order.hold_placed", target_id=str(order.pk)).count() == 1
    assert timeline(justine)[-1] == "Order 10023 on hold: Titan G15 gaming laptop out of stock"
    assert received == [
        {"signal": events.order_hold_placed, "sender": Order, "order_id": order.pk, "hold_id": hold.pk}
    ]


def test_a_second_hold_keeps_the_status_to_return_to(justine, laptop):
    order = order_for(justine)
    first = services.order_hold_place(order_id=order.pk, by=None, reason=HoldReason.PAYMENT)
    second = services.order_hold_place(order_id=order.pk, by=None, reason=HoldReason.ADDRESS)
    assert first.status_before == second.status_before == OrderStatus.CONFIRMED
    assert order.status_changes.filter(to_status=OrderStatus.ON_HOLD).count() == 1

    services.order_hold_release(hold_id=first.pk, by=None)
    order.refresh_from_db()
    assert order.status == OrderStatus.ON_HOLD
    services.order_hold_release(hold_id=second.pk, by=None, note="Customer confirmed the address")
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED
    assert [c.to_status for c in order.status_changes.order_by("pk")] == ["confirmed", "on_hold", "confirmed"]
    assert timeline(justine)[-1] == f"Order {order.number}: hold released (address)"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"reason": "weather"}, "reason"),
        ({"reason": HoldReason.OTHER}, "note"),
        (
            {"reason": HoldReason.PAYMENT, "expected_release_date": TODAY - timedelta(days=1)},
            "expected_release_date",
        ),
        ({"reason": HoldReason.PAYMENT, "inbound_reference": "PO-1"}, "inbound_reference"),
        ({"reason": HoldReason.OUT_OF_STOCK, "line_id": 999999}, "line_id"),
        ({"reason": HoldReason.PAYMENT, "note": "x" * 501}, "note"),
    ],
)
def test_hold_refuses_bad_input_and_writes_nothing(justine, laptop, kwargs, field):
    order = order_for(justine)
    before = counts()
    with pytest.raises(FieldErrors) as exc:
        services.order_hold_place(order_id=order.pk, by=None, **kwargs)
    assert field in exc.value.errors
    assert counts() == before
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED


def test_hold_refuses_the_same_reason_twice_and_closed_orders(justine, laptop):
    order = order_for(justine)
    services.order_hold_place(order_id=order.pk, by=None, reason=HoldReason.PAYMENT)
    before = counts()
    with pytest.raises(Conflict) as exc:
        services.order_hold_place(order_id=order.pk, by=None, reason=HoldReason.PAYMENT)
    assert exc.value.code == "already_held"
    assert counts() == before

    cancelled = order_for(justine)
    services.order_cancel(order_id=cancelled.pk, by=None, reason="Customer changed their mind")
    before = counts()
    with pytest.raises(Conflict) as exc:
        services.order_hold_place(order_id=cancelled.pk, by=None, reason=HoldReason.PAYMENT)
    assert exc.value.code == "not_open"
    assert counts() == before
    with pytest.raises(NotFound):
        services.order_hold_place(order_id=999999, by=None, reason=HoldReason.PAYMENT)


def test_release_refuses_a_released_or_unknown_hold(justine, laptop):
    order = order_for(justine)
    hold = services.order_hold_place(order_id=order.pk, by=None, reason=HoldReason.FRAUD_CHECK)
    services.order_hold_release(hold_id=hold.pk, by=None)
    before = counts()
    with pytest.raises(Conflict):
        services.order_hold_release(hold_id=hold.pk, by=None)
    with pytest.raises(NotFound):
        services.order_hold_release(hold_id=999999, by=None)
    assert counts() == before


def test_reschedule_moves_the_holds_waiting_for_an_inbound(justine, laptop):
    order = order_for(justine, number="10023")
    hold = services.order_hold_place(
        order_id=order.pk, by=None, reason=HoldReason.OUT_OF_STOCK, inbound_id=5, expected_release_date=TODAY
    )
    other = services.order_hold_place(
        order_id=order_for(justine).pk, by=None, reason=HoldReason.OUT_OF_STOCK, inbound_id=6
    )
    moved = services.order_holds_reschedule_for_inbound(
        inbound_id=5, expected_release_date=TODAY + timedelta(days=4)
    )
    assert moved == 1
    hold.refresh_from_db()
    other.refresh_from_db()
    assert (hold.expected_release_date, other.expected_release_date) == (TODAY + timedelta(days=4), None)
    assert (
        services.order_holds_reschedule_for_inbound(
            inbound_id=5, expected_release_date=TODAY + timedelta(days=4)
        )
        == 0
    )


# --- cancel, allocate, backorder -----------------------------------------------------------------


def test_cancel_releases_holds_and_cancels_the_lines(justine, laptop, lena):
    order = order_for(justine, ("TG15-16-512", 1), ("PS-NOVA12-CASE", 2))
    hold = services.order_hold_place(order_id=order.pk, by=lena, reason=HoldReason.PAYMENT)
    services.order_cancel(order_id=order.pk, by=lena, reason="Payment failed twice")
    order.refresh_from_db()
    hold.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert hold.released_at is not None and hold.release_note == "Order cancelled"
    assert set(order.lines.values_list("status", flat=True)) == {LineStatus.CANCELLED}
    assert order.status_changes.order_by("-pk").first().reason == "Payment failed twice"
    assert timeline(justine)[-1] == f"Order {order.number} cancelled"


def test_cancel_refuses_without_reason_twice_and_after_shipping(justine, laptop):
    order = order_for(justine)
    before = counts()
    with pytest.raises(DomainError) as exc:
        services.order_cancel(order_id=order.pk, by=None, reason="  ")
    assert exc.value.field == "reason"
    line = order.lines.get()
    services.order_shipping_progress(
        order_id=order.pk, shipped={line.pk: 1}, delivered=False, at=timezone.now()
    )
    before = counts()
    with pytest.raises(Conflict) as exc:
        services.order_cancel(order_id=order.pk, by=None, reason="Too late")
    assert exc.value.code == "not_open"
    assert counts() == before


def test_backorder_marks_the_line_and_is_idempotent(justine, case):
    order = order_for(justine, ("PS-NOVA12-CASE", 3))
    line = order.lines.get()
    ship = TODAY + timedelta(days=9)
    services.order_line_backorder(line_id=line.pk, by=None, quantity=3, expected_ship_date=ship)
    line.refresh_from_db()
    assert (line.quantity_backordered, line.expected_ship_date, line.status) == (
        3,
        ship,
        LineStatus.BACKORDERED,
    )
    assert (
        timeline(justine)[-1]
        == f"Order {order.number}: 3 \N{MULTIPLICATION SIGN} PowerSnap charging case backordered"
    )
    before = counts()
    services.order_line_backorder(line_id=line.pk, by=None, quantity=3, expected_ship_date=ship)
    assert counts() == before

    services.order_line_backorder(line_id=line.pk, by=None, quantity=0)
    line.refresh_from_db()
    assert (line.quantity_backordered, line.expected_ship_date, line.status) == (0, None, LineStatus.PENDING)


@pytest.mark.parametrize(
    ("quantity", "ship", "field"),
    [(4, None, "quantity"), (-1, None, "quantity"), (1, TODAY - timedelta(days=1), "expected_ship_date")],
)
def test_backorder_refuses_bad_input(justine, case, quantity, ship, field):
    order = order_for(justine, ("PS-NOVA12-CASE", 3))
    line = order.lines.get()
    before = counts()
    with pytest.raises(DomainError) as exc:
        services.order_line_backorder(line_id=line.pk, by=None, quantity=quantity, expected_ship_date=ship)
    assert exc.value.field == field
    assert counts() == before


def test_allocate_records_the_warehouse_and_status(justine, case):
    order = order_for(justine, ("PS-NOVA12-CASE", 3))
    line = order.lines.get()
    berlin = warehouse("BER")
    services.order_line_allocate(line_id=line.pk, by=None, quantity=2, warehouse_id=berlin.pk)
    line.refresh_from_db()
    assert (line.quantity_allocated, line.source_warehouse_id, line.status) == (
        2,
        berlin.pk,
        LineStatus.PARTIALLY_ALLOCATED,
    )
    services.order_line_allocate(line_id=line.pk, by=None, quantity=3)
    line.refresh_from_db()
    assert line.status == LineStatus.ALLOCATED
    with pytest.raises(DomainError):
        services.order_line_allocate(line_id=line.pk, by=None, quantity=4)
    with pytest.raises(NotFound):
        services.order_line_allocate(line_id=line.pk, by=None, quantity=1, warehouse_id=99999)


# --- shipping progress ----------------------------------------------------------------------------


def test_shipping_progress_derives_partially_shipped_shipped_delivered(
    justine, laptop, case, django_capture_on_commit_callbacks
):
    order = order_for(justine, ("TG15-16-512", 1), ("PS-NOVA12-CASE", 2), number="10023")
    laptop_line, case_line = order.lines.order_by("pk")
    t1, t2, t3 = (timezone.now() - timedelta(hours=h) for h in (5, 3, 1))
    changes = []
    events.order_status_changed.connect(
        lambda **kw: changes.append((kw["from_status"], kw["to_status"])), weak=False
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.order_shipping_progress(
            order_id=order.pk, shipped={laptop_line.pk: 1}, delivered=False, at=t1
        )
        services.order_shipping_progress(order_id=order.pk, shipped={case_line.pk: 2}, delivered=False, at=t2)
        services.order_shipping_progress(order_id=order.pk, shipped={}, delivered=True, at=t3)
    events.order_status_changed.disconnect()
    order.refresh_from_db()
    assert order.status == OrderStatus.DELIVERED
    assert changes == [
        ("confirmed", "partially_shipped"),
        ("partially_shipped", "shipped"),
        ("shipped", "delivered"),
    ]
    assert [(c.to_status, c.at) for c in order.status_changes.order_by("pk")][1:] == [
        ("partially_shipped", t1),
        ("shipped", t2),
        ("delivered", t3),
    ]
    assert set(order.lines.values_list("status", flat=True)) == {LineStatus.SHIPPED}
    assert timeline(justine)[-3:] == [
        "Part of order 10023 shipped (1 of 3 items)",
        "Order 10023 shipped",
        "Order 10023 delivered",
    ]


def test_shipping_progress_is_idempotent(justine, laptop):
    order = order_for(justine)
    line = order.lines.get()
    at = timezone.now()
    services.order_shipping_progress(order_id=order.pk, shipped={line.pk: 1}, delivered=False, at=at)
    before = counts()
    for _ in range(3):
        services.order_shipping_progress(order_id=order.pk, shipped={line.pk: 1}, delivered=False, at=at)
    assert counts() == before


@pytest.mark.parametrize(("shipped", "field"), [("unknown", "shipped"), ("too_many", "shipped[{line}]")])
def test_shipping_progress_refuses_bad_input(justine, laptop, shipped, field):
    order = order_for(justine)
    line = order.lines.get()
    mapping = {999999: 1} if shipped == "unknown" else {line.pk: 2}
    before = counts()
    with pytest.raises(DomainError) as exc:
        services.order_shipping_progress(
            order_id=order.pk, shipped=mapping, delivered=False, at=timezone.now()
        )
    assert exc.value.field == field.format(line=line.pk)
    assert counts() == before
    line.refresh_from_db()
    assert line.quantity_shipped == 0


def test_shipping_progress_refuses_a_cancelled_order(justine, laptop):
    order = order_for(justine)
    services.order_cancel(order_id=order.pk, by=None, reason="Duplicate order")
    line = order.lines.get()
    before = counts()
    with pytest.raises(Conflict):
        services.order_shipping_progress(
            order_id=order.pk, shipped={line.pk: 1}, delivered=False, at=timezone.now()
        )
    assert counts() == before


def test_a_held_order_stays_held_while_partly_shipped_and_is_released_when_all_shipped(justine, laptop, case):
    order = order_for(justine, ("TG15-16-512", 1), ("PS-NOVA12-CASE", 1))
    laptop_line, case_line = order.lines.order_by("pk")
    hold = services.order_hold_place(
        order_id=order.pk, by=None, reason=HoldReason.OUT_OF_STOCK, line_id=laptop_line.pk
    )
    services.order_shipping_progress(
        order_id=order.pk, shipped={case_line.pk: 1}, delivered=False, at=timezone.now()
    )
    order.refresh_from_db()
    hold.refresh_from_db()
    assert order.status == OrderStatus.ON_HOLD and hold.status_before == OrderStatus.PARTIALLY_SHIPPED

    services.order_shipping_progress(
        order_id=order.pk, shipped={laptop_line.pk: 1}, delivered=False, at=timezone.now()
    )
    order.refresh_from_db()
    hold.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED
    assert hold.released_at is not None and hold.released_by is None


def test_order_event_record_writes_on_the_customers_timeline(justine, laptop):
    order = order_for(justine, number="10023")
    at = timezone.now() - timedelta(minutes=5)
    services.order_event_record(
        order_id=order.pk,
        kind="shipment",
        summary="UPS: out for delivery",
        occurred_at=at,
        data={"carrier": "ups"},
    )
    entry = Interaction.objects.get(customer=justine, kind="shipment")
    assert (entry.summary, entry.occurred_at) == ("UPS: out for delivery", at)
    assert entry.data == {"order_id": order.pk, "order_number": "10023", "carrier": "ups"}
    assert entry.source_id == str(order.pk)
    before = counts()
    with pytest.raises(DomainError):
        services.order_event_record(order_id=order.pk, kind="note", summary="x", occurred_at=at)
    with pytest.raises(NotFound):
        services.order_event_record(order_id=999999, kind="order", summary="x", occurred_at=at)
    assert counts() == before


def test_status_history_is_append_only(justine, laptop):
    order = order_for(justine)
    change = order.status_changes.get()
    with pytest.raises(AppendOnlyError):
        change.save()
    with pytest.raises(AppendOnlyError):
        OrderStatusChange.objects.filter(pk=change.pk).update(reason="x")


def test_orders_follow_a_customer_merge_and_unmerge(justine, laptop):
    other = CustomerFactory()
    order = order_for(other)
    record = customer_services.customer_merge(survivor_id=justine.pk, merged_id=other.pk, by=None)
    order.refresh_from_db()
    assert order.customer_id == justine.pk
    customer_services.customer_unmerge(merge_id=record.pk, by=None)
    order.refresh_from_db()
    assert order.customer_id == other.pk
