"""The status sentence, one status at a time, on unsaved objects and a fixed "today"
(Tuesday 1 December 2026): what the agent reads out to the customer."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from frontline.catalog.models import Warehouse
from frontline.orders.choices import HoldReason, LineStatus, OrderStatus
from frontline.orders.models import Order, OrderHold, OrderLine, OrderStatusChange
from frontline.orders.status import (
    ShipmentSummary,
    add_working_days,
    format_day,
    relative_day,
    status_sentence,
)

TODAY = date(2026, 12, 1)  # a Tuesday
PLACED = datetime(2026, 11, 30, 9, 30, tzinfo=UTC)  # Monday


def order(status: str, number: str = "10023") -> Order:
    return Order(pk=1, number=number, status=status, placed_at=PLACED)


def line(name: str, quantity: int = 1, pk: int = 1, **kwargs) -> OrderLine:
    values = {"status": LineStatus.PENDING, **kwargs}
    return OrderLine(pk=pk, order_id=1, sku=name[:8], name=name, quantity=quantity, **values)


def hold(reason: str, **kwargs) -> OrderHold:
    return OrderHold(
        pk=kwargs.pop("pk", 1),
        order_id=1,
        reason=reason,
        placed_at=kwargs.pop("placed_at", PLACED),
        status_before=OrderStatus.CONFIRMED,
        **kwargs,
    )


LAPTOP = "Titan G15 gaming laptop"


def test_helpers():
    assert format_day(date(2026, 12, 3), TODAY) == "Thursday 3 December"
    assert format_day(date(2027, 1, 4), TODAY) == "Monday 4 January 2027"
    assert [relative_day(date(2026, 12, d), TODAY) for d in (1, 2, 3, 10)] == [
        "today",
        "tomorrow",
        "in 2 days",
        "in 9 days",
    ]
    assert relative_day(date(2026, 11, 29), TODAY) == "2 days ago"
    # Thursday + 1 working day = Friday; Friday + 1 = Monday; Saturday + 1 = Tuesday.
    assert add_working_days(date(2026, 12, 3), 1) == date(2026, 12, 4)
    assert add_working_days(date(2026, 12, 4), 1) == date(2026, 12, 7)
    assert add_working_days(date(2026, 12, 5), 1) == date(2026, 12, 8)


def test_on_hold_out_of_stock_with_the_restock_in_two_days():
    laptop = line(LAPTOP)
    laptop.source_warehouse = Warehouse(pk=3, code="BER", handling_days=1)
    held = hold(HoldReason.OUT_OF_STOCK, line=laptop, expected_release_date=date(2026, 12, 3))
    assert status_sentence(order(OrderStatus.ON_HOLD), lines=[laptop], holds=[held], today=TODAY) == (
        "Your order 10023 is on hold because the Titan G15 gaming laptop is out of stock; the restock is "
        "due on Thursday 3 December (in 2 days), so it should ship by Friday 4 December."
    )


def test_on_hold_out_of_stock_uses_the_warehouse_handling_days_and_skips_the_weekend():
    laptop = line(LAPTOP, status=LineStatus.BACKORDERED, quantity_backordered=1)
    laptop.source_warehouse = Warehouse(pk=3, code="BER", handling_days=2)
    held = hold(HoldReason.OUT_OF_STOCK, expected_release_date=date(2026, 12, 4))
    sentence = status_sentence(order(OrderStatus.ON_HOLD), lines=[laptop], holds=[held], today=TODAY)
    assert sentence.endswith(
        "the Titan G15 gaming laptop is out of stock; the restock is due on Friday 4 December (in 3 days), "
        "so it should ship by Tuesday 8 December."
    )


def test_on_hold_out_of_stock_without_or_past_restock_date():
    laptop = line(LAPTOP)
    assert status_sentence(
        order(OrderStatus.ON_HOLD),
        lines=[laptop],
        holds=[hold(HoldReason.OUT_OF_STOCK, line=laptop)],
        today=TODAY,
    ) == (
        "Your order 10023 is on hold because the Titan G15 gaming laptop is out of stock; "
        "we are waiting for the date of the next restock."
    )
    late = hold(HoldReason.OUT_OF_STOCK, line=laptop, expected_release_date=date(2026, 11, 27))
    assert status_sentence(order(OrderStatus.ON_HOLD), lines=[laptop], holds=[late], today=TODAY) == (
        "Your order 10023 is on hold because the Titan G15 gaming laptop is out of stock; the restock was "
        "due on Friday 27 November and has not arrived yet, we are checking with the warehouse."
    )


@pytest.mark.parametrize(
    ("reason", "note", "expected"),
    [
        (
            HoldReason.PAYMENT,
            "",
            "Your order 10023 is on hold while we wait for the payment to be confirmed.",
        ),
        (HoldReason.ADDRESS, "", "Your order 10023 is on hold until the delivery address is confirmed."),
        (HoldReason.FRAUD_CHECK, "", "Your order 10023 is on hold for a routine security check."),
        (
            HoldReason.OTHER,
            "customs paperwork missing",
            "Your order 10023 is on hold: customs paperwork missing.",
        ),
    ],
)
def test_on_hold_for_other_reasons(reason, note, expected):
    sentence = status_sentence(
        order(OrderStatus.ON_HOLD), lines=[line(LAPTOP)], holds=[hold(reason, note=note)], today=TODAY
    )
    assert sentence == expected


def test_on_hold_with_a_release_date_and_a_second_hold():
    holds = [
        hold(HoldReason.ADDRESS, pk=1, expected_release_date=date(2026, 12, 2)),
        hold(HoldReason.PAYMENT, pk=2, placed_at=datetime(2026, 11, 30, 10, tzinfo=UTC)),
        hold(HoldReason.FRAUD_CHECK, pk=3, released_at=PLACED),  # released: not mentioned
    ]
    assert status_sentence(order(OrderStatus.ON_HOLD), lines=[line(LAPTOP)], holds=holds, today=TODAY) == (
        "Your order 10023 is on hold until the delivery address is confirmed; we expect to release it on "
        "Wednesday 2 December, so it should ship by Thursday 3 December. It is also held for: payment."
    )


def test_pending():
    assert status_sentence(order(OrderStatus.PENDING), lines=[line(LAPTOP)], today=TODAY) == (
        "Your order 10023 was placed on Monday 30 November and is waiting to be confirmed."
    )


def test_confirmed_ships_within_the_handling_time_or_by_the_lines_date():
    assert status_sentence(order(OrderStatus.CONFIRMED), lines=[line(LAPTOP)], today=TODAY) == (
        "Your order 10023 is confirmed and being prepared; it should ship by Wednesday 2 December."
    )
    dated = line(LAPTOP, expected_ship_date=date(2026, 12, 4))
    assert status_sentence(order(OrderStatus.PROCESSING), lines=[dated], today=TODAY) == (
        "Your order 10023 is confirmed and being prepared; it should ship by Friday 4 December."
    )


def test_confirmed_with_a_backordered_accessory():
    lines = [
        line("AuraSound X2 wireless headphones", pk=1),
        line(
            "PowerSnap charging case",
            pk=2,
            status=LineStatus.BACKORDERED,
            quantity_backordered=1,
            expected_ship_date=date(2026, 12, 10),
        ),
    ]
    assert status_sentence(order(OrderStatus.CONFIRMED), lines=lines, today=TODAY) == (
        "Your order 10023 is confirmed and being prepared; it should ship by Thursday 10 December. "
        "The PowerSnap charging case is backordered and expected to ship on Thursday 10 December."
    )
    lines[1].expected_ship_date = None
    assert status_sentence(order(OrderStatus.CONFIRMED), lines=lines, today=TODAY).endswith(
        "The PowerSnap charging case is backordered; we do not have a restock date yet."
    )


def test_partially_shipped():
    lines = [
        line("AuraSound X2 wireless headphones", pk=1, quantity_shipped=1, status=LineStatus.SHIPPED),
        line("Dock7 USB-C hub", quantity=2, pk=2, expected_ship_date=date(2026, 12, 7)),
    ]
    shipment = ShipmentSummary("DHL", "JD014600003", "in_transit", estimated_delivery=date(2026, 12, 3))
    assert status_sentence(
        order(OrderStatus.PARTIALLY_SHIPPED), lines=lines, shipments=[shipment], today=TODAY
    ) == (
        "Part of your order 10023 has shipped (1 of 3 items) with DHL (tracking JD014600003) and is on its "
        "way; delivery is expected on Thursday 3 December (in 2 days). The Dock7 USB-C hub should ship by "
        "Monday 7 December."
    )
    lines[1].expected_ship_date = None
    assert status_sentence(order(OrderStatus.PARTIALLY_SHIPPED), lines=lines, today=TODAY) == (
        "Part of your order 10023 has shipped (1 of 3 items). The Dock7 USB-C hub will follow as soon as it is ready."
    )


def test_shipped_with_and_without_shipments():
    lines = [line(LAPTOP, quantity_shipped=1, status=LineStatus.SHIPPED)]
    assert (
        status_sentence(order(OrderStatus.SHIPPED), lines=lines, today=TODAY)
        == "Your order 10023 has shipped."
    )
    ups = ShipmentSummary("UPS", "1Z999AA10123456784", "out_for_delivery", estimated_delivery=TODAY)
    assert status_sentence(order(OrderStatus.SHIPPED), lines=lines, shipments=[ups], today=TODAY) == (
        "Your order 10023 has shipped with UPS (tracking 1Z999AA10123456784) and is out for delivery today; "
        "delivery is expected on Tuesday 1 December (today)."
    )


def test_shipped_in_several_parcels_one_delayed():
    shipments = [
        ShipmentSummary("UPS", "1Z1", "in_transit", estimated_delivery=date(2026, 12, 2)),
        ShipmentSummary("DB Schenker", "S-77", "exception", estimated_delivery=date(2026, 12, 4)),
    ]
    assert status_sentence(
        order(OrderStatus.SHIPPED), lines=[line(LAPTOP)], shipments=shipments, today=TODAY
    ) == (
        "Your order 10023 has shipped in 2 parcels with UPS and DB Schenker and is held up: the carrier "
        "reports a problem; delivery is expected on Friday 4 December (in 3 days)."
    )


def test_delivered_from_shipments_or_history():
    delivered_at = datetime(2026, 11, 30, 15, tzinfo=UTC)
    dhl = ShipmentSummary("DHL", "JD1", "delivered", delivered_at=delivered_at)
    assert status_sentence(order(OrderStatus.DELIVERED), lines=[], shipments=[dhl], today=TODAY) == (
        "Your order 10023 was delivered by DHL on Monday 30 November."
    )
    history = [OrderStatusChange(pk=5, order_id=1, to_status=OrderStatus.DELIVERED, at=delivered_at)]
    assert status_sentence(order(OrderStatus.COMPLETED), lines=[], history=history, today=TODAY) == (
        "Your order 10023 was delivered on Monday 30 November."
    )
    assert (
        status_sentence(order(OrderStatus.DELIVERED), lines=[], today=TODAY)
        == "Your order 10023 was delivered."
    )


def test_cancelled_and_returned():
    history = [
        OrderStatusChange(pk=1, order_id=1, to_status=OrderStatus.CONFIRMED, at=PLACED),
        OrderStatusChange(
            pk=2,
            order_id=1,
            to_status=OrderStatus.CANCELLED,
            at=datetime(2026, 12, 1, 8, tzinfo=UTC),
            reason="Customer asked",
        ),
    ]
    assert status_sentence(order(OrderStatus.CANCELLED), lines=[], history=history, today=TODAY) == (
        "Your order 10023 was cancelled on Tuesday 1 December (Customer asked)."
    )
    assert (
        status_sentence(order(OrderStatus.CANCELLED), lines=[], today=TODAY)
        == "Your order 10023 was cancelled."
    )
    assert (
        status_sentence(order(OrderStatus.RETURNED), lines=[], today=TODAY)
        == "Your order 10023 was returned to us."
    )


def test_every_status_has_a_sentence():
    for status in OrderStatus.values:
        sentence = status_sentence(order(status), lines=[line(LAPTOP)], today=TODAY)
        assert sentence.startswith(("Your order 10023", "Part of your order 10023")) and sentence.endswith(
            "."
        )
