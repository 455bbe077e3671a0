"""Builders for shipping tests. Carriers, shipments and events go through the services, so
they carry their audit rows and derived fields like real ones; orders are plain rows."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from django.utils import timezone

from frontline.catalog.models import Warehouse
from frontline.customers.tests.factories import CustomerFactory
from frontline.orders.models import Order, OrderLine
from frontline.shipping import services
from frontline.shipping.models import Carrier, Shipment
from frontline.shipping.normalize import RawEvent
from frontline.shipping.services import ItemInput, ShipmentInput

_numbers = itertools.count(1)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc, arg-type]


def carrier(code: str = "ups", name: str | None = None, **values: Any) -> Carrier:
    existing = Carrier.objects.filter(code=code).first()
    if existing is not None:
        return existing
    names = {"ups": "UPS", "dhl_express": "DHL Express", "dpd": "DPD", "fedex": "FedEx"}
    values.setdefault("tracking_url_template", f"https://track.example/{code}/{{tracking_number}}")
    return services.carrier_create(by=None, code=code, name=name or names.get(code, code.upper()), **values)


def warehouse(code: str = "BER", tz: str = "Europe/Berlin") -> Warehouse:
    return Warehouse.objects.get_or_create(code=code, defaults={"name": f"Warehouse {code}", "timezone": tz})[
        0
    ]


def order(
    *,
    total: str = "120.00",
    promised: date | None = None,
    lines: tuple[tuple[str, int], ...] = (("SKU-1", 2),),
    customer: Any = None,
    placed_at: datetime | None = None,
) -> Order:
    n = next(_numbers)
    created = Order.objects.create(
        number=f"SO-{n:05d}",
        customer=customer or CustomerFactory(),
        placed_at=placed_at or timezone.now(),
        total=Decimal(total),
        promised_delivery_date=promised,
        email=f"buyer{n}@example.com",
        shipping_postal_code="10115",
    )
    for sku, quantity in lines:
        OrderLine.objects.create(order=created, sku=sku, name=f"Part {sku}", quantity=quantity, unit_price=10)
    return created


def shipment(
    *,
    carrier_code: str = "ups",
    order_obj: Order | None = None,
    tracking_number: str | None = None,
    ship_all: bool = True,
    **fields: Any,
) -> Shipment:
    items = fields.pop("items", [])
    if order_obj is not None and ship_all and not items:
        items = [ItemInput(order_line_id=line.pk, quantity=line.quantity) for line in order_obj.lines.all()]
    data = ShipmentInput(
        carrier_id=carrier(carrier_code).pk,
        tracking_number=tracking_number or f"1Z{next(_numbers):016d}",
        order_id=order_obj.pk if order_obj else None,
        items=items,
        **fields,
    )
    return services.shipment_create(by=None, data=data)


def ev(when: datetime | str, status: str = "in_transit", description: str = "", **kw: Any) -> RawEvent:
    """An event in our vocabulary (the generic webhook's and the manual form's)."""
    return RawEvent(
        occurred_at=when, status=status, description=description or status.replace("_", " "), **kw
    )


def ingest(
    shipment_obj: Shipment, *events: RawEvent, source: str = "webhook", **kw: Any
) -> services.IngestResult:
    return services.tracking_events_ingest(
        shipment_id=shipment_obj.pk, events=list(events), source=source, **kw
    )
