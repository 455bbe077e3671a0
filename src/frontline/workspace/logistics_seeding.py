"""The stock, orders and shipments part of ``frontline seed`` (DESIGN.md section 5, seeds 000/004).

Each app seeds its own data (``catalog.demo``, ``orders.demo``, ``shipping.demo``); this module
only puts them in order and hands each the ids the next one needs:

1. the catalog: warehouses, products, stock, the inbound restocks, and the three seed-000
   products (the promoted AuraSound X2 headphones on low stock, the Titan G15 gaming laptop out
   of stock with an inbound shipment due in two days, the PowerSnap case backordered again);
2. orders for the customers, the seeds' stories first: Kevin's laptop order on hold for the
   restock, Carlos's headphones, Ayşe's backordered case; hundreds of orders of the spare-parts
   distributor SparePartsPro;
3. shipments with their carriers' tracking events for the distributor's orders and a share of
   the others, through the tracking engine, so delays, stalls, failed attempts and deliveries
   with proof of delivery raise (and resolve) exceptions as they would live.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from django.utils import timezone

from frontline.catalog.demo import seed_catalog
from frontline.catalog.models import InboundShipment
from frontline.customers.models import ContactPoint
from frontline.orders.demo import seed_orders
from frontline.orders.models import Order
from frontline.shipping.demo import seed_shipping

#: The seed-000 buyers, by e-mail (from ``demo_data.STORY_CUSTOMERS``): laptop, headphones, case.
STORY_BUYERS = (
    "kevin.walsh@",
    "carlos.mendez@",
    "ayse.yilmaz@",
)
#: How many ordinary orders get a shipment too (the distributor's all do): each goes through
#: the tracking engine, so this bounds the seed's time.
SHIPPED_OTHERS = {"demo": 150, "s": 300, "m": 600, "l": 2000}
PROMISED_IN_DAYS = 4


def _story_buyer_ids() -> list[int]:
    found: list[int] = []
    for prefix in STORY_BUYERS:
        pk = (
            ContactPoint.objects.filter(kind="email", value__startswith=prefix)
            .order_by("customer_id")
            .values_list("customer_id", flat=True)
            .first()
        )
        if pk is not None and pk not in found:
            found.append(pk)
    return found


def seed_logistics(*, scale: str, customer_ids: list[int]) -> tuple[dict[str, int], dict[str, float]]:
    """Seed stock, orders and shipments; returns (counts, timings in seconds)."""
    timings: dict[str, float] = {}
    started = time.monotonic()
    catalog = seed_catalog(scale=scale)
    timings["catalog"] = time.monotonic() - started

    phase = time.monotonic()
    story = _story_buyer_ids()
    buyers = story + [pk for pk in customer_ids if pk not in story]
    laptop_inbound_id = catalog.get("laptop_inbound")
    laptop_inbound = (
        InboundShipment.objects.filter(pk=laptop_inbound_id).first()
        if laptop_inbound_id is not None
        else None
    )
    orders = seed_orders(
        customer_ids=buyers,
        product_ids=None,
        scale=scale,
        inbound_id=laptop_inbound.pk if laptop_inbound else None,
        inbound_reference=laptop_inbound.reference if laptop_inbound else "",
    )
    timings["orders"] = time.monotonic() - phase

    phase = time.monotonic()
    distributor = list(orders.get("distributor_order_ids", []))
    others = list(
        Order.objects.exclude(pk__in=distributor)
        .exclude(status__in=["on_hold", "cancelled", "shipped", "delivered", "partially_shipped"])
        .exclude(lines__quantity_backordered__gt=0)  # the seed-000 case still waits for stock
        .order_by("pk")
        .values_list("pk", flat=True)
        .distinct()
    )
    in_flight = distributor + others[: SHIPPED_OTHERS.get(scale, 150)]
    # These parcels leave now: their orders were promised for a few days from today, so the
    # exceptions come from what the carriers report (delays, stalls, failed attempts...), not
    # from the age of the orders they were generated for.
    Order.objects.filter(pk__in=in_flight).update(
        promised_delivery_date=timezone.localdate() + timedelta(days=PROMISED_IN_DAYS)
    )
    shipping: dict[str, Any] = seed_shipping(orders=in_flight, scale=scale)
    timings["shipments"] = time.monotonic() - phase

    counts = {
        "products": int(catalog.get("products", 0)),
        "orders": Order.objects.count(),
        "shipments": int(shipping.get("shipments", 0)),
    }
    return counts, timings
