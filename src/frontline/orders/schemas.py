"""The shapes the orders API accepts and returns.

Input schemas check shape only; the rules (known customer and products, unique number, hold
guards...) live in ``services.py``. Output schemas read only what the selectors load.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from ninja import Field, Schema
from pydantic import ConfigDict

from frontline.core.api import MAX_ID

from .choices import HoldReason, LineStatus, OrderChannel, OrderStatus
from .models import Order, OrderHold, OrderLine, OrderStatusChange
from .selectors import OrderMatch
from .services import OrderInput, OrderLineInput
from .status import status_sentence

Money = Decimal


class InputSchema(Schema):
    """Unknown fields are refused rather than silently ignored: a typo is an error."""

    model_config = ConfigDict(extra="forbid")


class OrderLineIn(InputSchema):
    sku: str = Field("", max_length=64, description="The product's SKU (or give product_id).")
    product_id: int | None = Field(None, ge=1, le=MAX_ID)
    name: str = Field("", max_length=255, description="Defaults to the product's name.")
    quantity: int = Field(..., ge=1, le=1_000_000)
    unit_price: Money | None = Field(
        None, ge=0, max_digits=12, decimal_places=2, description="Defaults to the product's price."
    )
    source_warehouse_id: int | None = Field(None, ge=1, le=MAX_ID)


class OrderCreateIn(InputSchema):
    number: str = Field(..., min_length=1, max_length=40, examples=["10023"])
    customer_id: int = Field(..., ge=1, le=MAX_ID)
    lines: list[OrderLineIn] = Field(..., min_length=1, max_length=500)
    placed_at: datetime | None = Field(None, description="Default: now.")
    channel: OrderChannel = OrderChannel.WEB
    status: OrderStatus = Field(OrderStatus.PENDING, description="pending or confirmed.")
    currency: str = Field("EUR", min_length=3, max_length=3)
    shipping_total: Money = Field(Decimal("0"), ge=0, max_digits=12, decimal_places=2)
    tax_total: Money = Field(Decimal("0"), ge=0, max_digits=12, decimal_places=2)
    email: str = Field("", max_length=254, description="As given at checkout.")
    phone: str = Field("", max_length=40, description="As given at checkout.")
    shipping_address: dict[str, str] = Field(
        default_factory=dict,
        examples=[{"line1": "Hauptstr. 1", "postal_code": "10115", "city": "Berlin", "country": "DE"}],
    )
    billing_address: dict[str, str] = Field(default_factory=dict)
    promised_delivery_date: date | None = None
    external_ref: str = Field("", max_length=100)

    def to_input(self) -> OrderInput:
        return OrderInput(
            number=self.number,
            customer_id=self.customer_id,
            lines=[
                OrderLineInput(
                    sku=line.sku,
                    product_id=line.product_id,
                    name=line.name,
                    quantity=line.quantity,
                    unit_price=line.unit_price,
                    source_warehouse_id=line.source_warehouse_id,
                )
                for line in self.lines
            ],
            placed_at=self.placed_at,
            channel=self.channel.value,
            status=self.status.value,
            currency=self.currency,
            shipping_total=self.shipping_total,
            tax_total=self.tax_total,
            email=self.email,
            phone=self.phone,
            shipping_address=dict(self.shipping_address),
            billing_address=dict(self.billing_address),
            promised_delivery_date=self.promised_delivery_date,
            external_ref=self.external_ref,
        )


class HoldIn(InputSchema):
    reason: HoldReason
    note: str = Field("", max_length=500)
    expected_release_date: date | None = Field(
        None, description="For an out-of-stock hold: the restock date of the inbound shipment."
    )
    line_id: int | None = Field(None, ge=1, le=MAX_ID, description="The line waiting for stock.")
    inbound_id: int | None = Field(
        None, ge=1, le=MAX_ID, description="The inbound shipment (restock) awaited."
    )
    inbound_reference: str = Field("", max_length=100, description="Its PO / ASN number.")


class ReleaseIn(InputSchema):
    note: str = Field("", max_length=500)


class CancelIn(InputSchema):
    reason: str = Field(..., min_length=1, max_length=500)


# --- outputs ----------------------------------------------------------------------------------


class OrderLineOut(Schema):
    id: int
    product_id: int | None
    sku: str
    name: str
    quantity: int
    unit_price: Money
    quantity_allocated: int
    quantity_shipped: int
    quantity_backordered: int
    expected_ship_date: date | None
    source_warehouse_id: int | None
    status: LineStatus

    @classmethod
    def build(cls, line: OrderLine) -> OrderLineOut:
        return cls(
            id=line.pk,
            product_id=line.product_id,
            sku=line.sku,
            name=line.name,
            quantity=line.quantity,
            unit_price=line.unit_price,
            quantity_allocated=line.quantity_allocated,
            quantity_shipped=line.quantity_shipped,
            quantity_backordered=line.quantity_backordered,
            expected_ship_date=line.expected_ship_date,
            source_warehouse_id=line.source_warehouse_id,
            status=LineStatus(line.status),
        )


class HoldOut(Schema):
    id: int
    reason: HoldReason
    note: str
    line_id: int | None
    placed_at: datetime
    placed_by: str | None
    expected_release_date: date | None
    inbound_id: int | None
    inbound_reference: str
    active: bool
    released_at: datetime | None
    released_by: str | None
    release_note: str

    @classmethod
    def build(cls, hold: OrderHold) -> HoldOut:
        return cls(
            id=hold.pk,
            reason=HoldReason(hold.reason),
            note=hold.note,
            line_id=hold.line_id,
            placed_at=hold.placed_at,
            placed_by=hold.placed_by.get_username() if hold.placed_by else None,
            expected_release_date=hold.expected_release_date,
            inbound_id=hold.inbound_id,
            inbound_reference=hold.inbound_reference,
            active=hold.is_active,
            released_at=hold.released_at,
            released_by=hold.released_by.get_username() if hold.released_by else None,
            release_note=hold.release_note,
        )


class StatusChangeOut(Schema):
    from_status: str
    to_status: OrderStatus
    at: datetime
    by: str | None
    reason: str

    @classmethod
    def build(cls, change: OrderStatusChange) -> StatusChangeOut:
        return cls(
            from_status=change.from_status,
            to_status=OrderStatus(change.to_status),
            at=change.at,
            by=change.by.get_username() if change.by else None,
            reason=change.reason,
        )


class OrderListItem(Schema):
    id: int
    number: str
    status: OrderStatus
    customer_id: int
    customer_name: str
    placed_at: datetime
    currency: str
    total: Money
    promised_delivery_date: date | None

    @classmethod
    def values(cls, order: Order) -> dict[str, Any]:
        return {
            "id": order.pk,
            "number": order.number,
            "status": OrderStatus(order.status),
            "customer_id": order.customer_id,
            "customer_name": str(order.customer),
            "placed_at": order.placed_at,
            "currency": order.currency,
            "total": order.total,
            "promised_delivery_date": order.promised_delivery_date,
        }

    @classmethod
    def build(cls, order: Order) -> OrderListItem:
        return cls(**cls.values(order))


class OrderMatchOut(OrderListItem):
    matched_by: str = Field(description="number, email, phone or customer")

    @classmethod
    def from_match(cls, match: OrderMatch) -> OrderMatchOut:
        return cls(**cls.values(match.order), matched_by=match.matched_by)


class OrderPage(Schema):
    count: int = Field(description="Matching orders, counted up to 10,000 (see capped).")
    capped: bool
    next: str | None
    previous: str | None
    results: list[OrderListItem]


class OrderDetail(OrderListItem):
    channel: OrderChannel
    organisation_id: int | None
    subtotal: Money
    shipping_total: Money
    tax_total: Money
    email: str
    phone: str
    shipping_address: dict[str, Any]
    billing_address: dict[str, Any]
    external_ref: str
    status_sentence: str = Field(
        description="What to tell the customer, in plain language (without shipments)."
    )
    lines: list[OrderLineOut]
    holds: list[HoldOut]
    history: list[StatusChangeOut]

    @classmethod
    def build(cls, order: Order) -> OrderDetail:
        lines = list(order.lines.all())
        holds = list(order.holds.all())
        history = list(order.status_changes.all())
        return cls(
            **cls.values(order),
            channel=OrderChannel(order.channel),
            organisation_id=order.organisation_id,
            subtotal=order.subtotal,
            shipping_total=order.shipping_total,
            tax_total=order.tax_total,
            email=order.email,
            phone=order.phone,
            shipping_address=order.shipping_address,
            billing_address=order.billing_address,
            external_ref=order.external_ref,
            status_sentence=status_sentence(order, lines=lines, holds=holds, history=history),
            lines=[OrderLineOut.build(line) for line in lines],
            holds=[HoldOut.build(hold) for hold in holds],
            history=[StatusChangeOut.build(change) for change in history],
        )
