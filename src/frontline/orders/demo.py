"""Demo orders for the seed scenarios (DESIGN.md section 5), deterministic (fixed random seed).

- seed 000: order 10023, a Titan G15 gaming laptop on hold because it is out of stock, released
  when the inbound restock arrives in two days; an order of the AuraSound X2 wireless headphones
  from the promotion; the PowerSnap charging case backordered on three orders this quarter (two
  delivered since, the newest still waiting).
- seed 004: hundreds of orders of the spare-parts distributor (an organisation customer), for
  the shipping seeder to attach shipments to; they are left confirmed/processing: the shipping
  seeder reports its shipments through ``services.order_shipping_progress``, which sets
  PARTIALLY_SHIPPED / SHIPPED / DELIVERED.
- a few ordinary orders for other customers.

The story orders go through the services (history, audit, timeline); the bulk ones are inserted
in batches (orders, lines, status history and "order placed" timeline entries), so scale s/m
takes seconds.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from frontline.catalog.models import Product, Warehouse
from frontline.core.errors import DomainError
from frontline.customers.choices import AddressKind, ContactKind, InteractionKind
from frontline.customers.models import Address, ContactPoint, Customer, Interaction

from . import services
from .choices import HoldReason, LineStatus, OrderChannel, OrderStatus
from .models import Order, OrderLine, OrderStatusChange
from .status import add_working_days

SEED = 4
LAPTOP, HEADPHONES, ACCESSORY = "TG15-16-512", "AS-X2-BLK", "PS-NOVA12-CASE"
LAPTOP_ORDER = "10023"
DISTRIBUTOR_ORDERS = {"demo": 300, "s": 300, "m": 600, "l": 1500}
ORDERS_PER_CUSTOMER = {"demo": 2, "s": 2, "m": 3, "l": 3}
MAX_CUSTOMERS_WITH_ORDERS = {"demo": 200, "s": 500, "m": 2000, "l": 10000}
BATCH = 1000


def _products(product_ids: dict[str, int] | None) -> dict[str, Product]:
    qs = Product.objects.filter(pk__in=product_ids.values()) if product_ids else Product.objects.all()
    products = {p.sku: p for p in qs.order_by("sku")}
    if not products:
        raise DomainError("There are no products: seed the catalog before the orders.", field="product_ids")
    return products


def _pick(products: dict[str, Product], sku: str, index: int) -> Product:
    if sku in products:
        return products[sku]
    skus = sorted(products)
    return products[skus[index % len(skus)]]


def _distributors(customer_ids: list[int]) -> list[Customer]:
    with_org = list(
        Customer.objects.filter(pk__in=customer_ids, organisation__isnull=False)
        .select_related("organisation")
        .order_by("pk")
    )
    spare = [c for c in with_org if "spare" in c.organisation.name.lower()]  # type: ignore[union-attr]
    if spare:
        org = spare[0].organisation_id
        return [c for c in spare if c.organisation_id == org]
    if with_org:
        return [c for c in with_org if c.organisation_id == with_org[0].organisation_id]
    return list(Customer.objects.filter(pk__in=customer_ids[-1:]))


def _contacts(customer_ids: list[int]) -> tuple[dict[int, str], dict[int, str], dict[int, dict[str, str]]]:
    emails: dict[int, str] = {}
    phones: dict[int, str] = {}
    for customer_id, kind, normalized in (
        ContactPoint.objects.filter(customer_id__in=customer_ids, is_primary=True)
        .exclude(kind=ContactKind.SOCIAL)
        .values_list("customer_id", "kind", "normalized")
    ):
        (emails if kind == ContactKind.EMAIL else phones)[customer_id] = normalized
    addresses: dict[int, dict[str, str]] = {}
    for address in Address.objects.filter(
        customer_id__in=customer_ids, kind=AddressKind.SHIPPING, is_primary=True
    ):
        addresses[address.customer_id] = {
            "line1": address.line1,
            "postal_code": address.postal_code,
            "city": address.city,
            "country": address.country,
        }
    return emails, phones, addresses


def _story_order(
    *,
    number: str,
    customer: Customer,
    items: list[tuple[Product, int]],
    placed_at: datetime,
    warehouse: Warehouse | None,
) -> Order:
    emails, phones, addresses = _contacts([customer.pk])
    return services.order_create(
        by=None,
        data=services.OrderInput(
            number=number,
            customer_id=customer.pk,
            email=emails.get(customer.pk, ""),
            phone=phones.get(customer.pk, ""),
            shipping_address=addresses.get(customer.pk, {}),
            placed_at=placed_at,
            status=OrderStatus.CONFIRMED,
            shipping_total=Decimal("4.90"),
            lines=[
                services.OrderLineInput(
                    product_id=product.pk,
                    quantity=quantity,
                    source_warehouse_id=warehouse.pk if warehouse else None,
                )
                for product, quantity in items
            ],
        ),
    )


@transaction.atomic
def seed_orders(
    *,
    customer_ids: list[int],
    product_ids: dict[str, int] | None,
    scale: str,
    inbound_id: int | None = None,
    inbound_reference: str = "PO-TG15-2612",
) -> dict[str, Any]:
    """Create the demo orders for ``customer_ids`` (the first three play the seed-000 stories)
    with the products ``product_ids`` (SKU -> id; None: any products in the database).

    ``inbound_id``/``inbound_reference`` name the laptop's inbound restock when the catalog
    seeder has made one. Returns the key ids. Running it again returns the same ids and adds
    nothing.
    """
    if not customer_ids:
        raise DomainError("Give the customers to place demo orders for.", field="customer_ids")
    existing = Order.objects.filter(number=LAPTOP_ORDER).first()
    if existing is not None:
        return _key_ids()
    rng = random.Random(SEED)
    now = timezone.now()
    today = timezone.localdate()
    products = _products(product_ids)
    warehouse = Warehouse.objects.filter(is_active=True).order_by("code").first()
    story = list(Customer.objects.filter(pk__in=customer_ids[:3]).order_by("pk"))
    story.sort(key=lambda c: customer_ids.index(c.pk))
    while len(story) < 3:
        story.append(story[-1])
    laptop, headphones, accessory = (
        _pick(products, sku, i) for i, sku in enumerate((LAPTOP, HEADPHONES, ACCESSORY))
    )

    # Seed 000: the gaming laptop on hold, waiting for the restock due in two days.
    laptop_order = _story_order(
        number=LAPTOP_ORDER,
        customer=story[0],
        items=[(laptop, 1)],
        placed_at=now - timedelta(days=3),
        warehouse=warehouse,
    )
    laptop_line = laptop_order.lines.get()
    services.order_line_backorder(
        line_id=laptop_line.pk,
        by=None,
        quantity=1,
        expected_ship_date=add_working_days(
            today + timedelta(days=2), warehouse.handling_days if warehouse else 1
        ),
        at=now - timedelta(days=3),
    )
    hold = services.order_hold_place(
        order_id=laptop_order.pk,
        by=None,
        reason=HoldReason.OUT_OF_STOCK,
        line_id=laptop_line.pk,
        expected_release_date=today + timedelta(days=2),
        inbound_id=inbound_id,
        inbound_reference=inbound_reference,
        note="Titan G15 sold out after the weekend; restock on the inbound shipment.",
        at=now - timedelta(days=3) + timedelta(minutes=20),
    )

    # The headphones from the promotion: confirmed and allocated, ships from the warehouse queue.
    headphones_order = _story_order(
        number="10031",
        customer=story[1],
        items=[(headphones, 1)],
        placed_at=now - timedelta(hours=5),
        warehouse=warehouse,
    )
    line = headphones_order.lines.get()
    services.order_line_allocate(
        line_id=line.pk, by=None, quantity=1, warehouse_id=warehouse.pk if warehouse else None
    )

    # The smartphone accessory, backordered on three orders this quarter.
    accessory_orders = []
    for number, days_ago in (("10005", 60), ("10014", 30), ("10040", 2)):
        order = _story_order(
            number=number,
            customer=story[2],
            items=[(accessory, 2)],
            placed_at=now - timedelta(days=days_ago),
            warehouse=warehouse,
        )
        line = order.lines.get()
        ship_on = max(today, (now - timedelta(days=days_ago)).date() + timedelta(days=9))
        services.order_line_backorder(
            line_id=line.pk,
            by=None,
            quantity=2,
            expected_ship_date=ship_on,
            at=now - timedelta(days=days_ago),
        )
        if days_ago > 9:
            services.order_shipping_progress(
                order_id=order.pk,
                shipped={line.pk: 2},
                delivered=False,
                at=now - timedelta(days=days_ago - 9),
            )
            services.order_shipping_progress(
                order_id=order.pk,
                shipped={line.pk: 2},
                delivered=True,
                at=now - timedelta(days=days_ago - 11),
            )
        accessory_orders.append(order.pk)

    # Seed 004: the distributor's orders, and ordinary orders of everyone else.
    distributors = _distributors(customer_ids)
    spare_parts = [
        p for p in products.values() if "spare" in p.category.lower() or "part" in p.category.lower()
    ]
    catalogue = spare_parts or list(products.values())
    bulk: list[tuple[int, int | None, str, list[tuple[Product, int]], datetime, str, str]] = []
    for n in range(DISTRIBUTOR_ORDERS.get(scale, 300)):
        customer = distributors[n % len(distributors)]
        items = [(rng.choice(catalogue), rng.choice((5, 10, 20, 40, 100))) for _ in range(rng.randint(1, 4))]
        placed = now - timedelta(days=rng.uniform(0.2, 75))
        status = OrderStatus.PROCESSING if rng.random() < 0.3 else OrderStatus.CONFIRMED
        bulk.append(
            (
                customer.pk,
                customer.organisation_id,
                f"SP-{50001 + n}",
                items,
                placed,
                OrderChannel.B2B,
                status,
            )
        )
    others = [pk for pk in customer_ids[3:] if pk not in {c.pk for c in distributors}][
        : MAX_CUSTOMERS_WITH_ORDERS.get(scale, 200)
    ]
    organisation_of = dict(Customer.objects.filter(pk__in=others).values_list("pk", "organisation_id"))
    next_number = 20001
    for customer_id in others:
        for _ in range(rng.randint(1, ORDERS_PER_CUSTOMER.get(scale, 2))):
            items = [
                (rng.choice(list(products.values())), rng.randint(1, 2)) for _ in range(rng.randint(1, 2))
            ]
            placed = now - timedelta(days=rng.uniform(0.5, 120))
            channel = rng.choice(
                (OrderChannel.WEB, OrderChannel.WEB, OrderChannel.MARKETPLACE, OrderChannel.PHONE)
            )
            status = OrderStatus.CONFIRMED if placed > now - timedelta(days=3) else OrderStatus.DELIVERED
            bulk.append(
                (
                    customer_id,
                    organisation_of.get(customer_id),
                    str(next_number),
                    items,
                    placed,
                    channel,
                    status,
                )
            )
            next_number += 1
    distributor_ids = _bulk_insert(bulk, warehouse)
    return {
        "laptop_order_id": laptop_order.pk,
        "laptop_hold_id": hold.pk,
        "headphones_order_id": headphones_order.pk,
        "accessory_order_ids": accessory_orders,
        "distributor_customer_ids": [c.pk for c in distributors],
        "distributor_order_ids": distributor_ids,
        "orders": Order.objects.count(),
    }


def _bulk_insert(
    rows: list[tuple[int, int | None, str, list[tuple[Product, int]], datetime, str, str]],
    warehouse: Warehouse | None,
) -> list[int]:
    """Insert orders with their lines, first history row and timeline entry, in batches.
    Returns the ids of the B2B orders."""
    emails, phones, addresses = _contacts(sorted({row[0] for row in rows}))
    content_type = ContentType.objects.get_for_model(Order)
    b2b: list[int] = []
    for start in range(0, len(rows), BATCH):
        chunk = rows[start : start + BATCH]
        orders = []
        for customer_id, organisation_id, number, items, placed, channel, status in chunk:
            subtotal = sum((p.price * q for p, q in items), Decimal("0"))
            shipping = Decimal("0") if channel == OrderChannel.B2B and subtotal > 500 else Decimal("4.90")
            address = addresses.get(customer_id, {})
            orders.append(
                Order(
                    number=number,
                    customer_id=customer_id,
                    organisation_id=organisation_id,
                    channel=channel,
                    placed_at=placed,
                    subtotal=subtotal,
                    shipping_total=shipping,
                    total=subtotal + shipping,
                    email=emails.get(customer_id, ""),
                    phone=phones.get(customer_id, ""),
                    shipping_address=address,
                    shipping_postal_code=address.get("postal_code", ""),
                    promised_delivery_date=(placed + timedelta(days=5)).date(),
                    status=status,
                )
            )
        Order.objects.bulk_create(orders)
        lines, changes, entries = [], [], []
        for order, (_c, _o, _n, items, placed, _ch, status) in zip(orders, chunk, strict=True):
            delivered = status == OrderStatus.DELIVERED
            for product, quantity in items:
                lines.append(
                    OrderLine(
                        order=order,
                        product=product,
                        sku=product.sku,
                        name=product.name,
                        quantity=quantity,
                        unit_price=product.price,
                        quantity_allocated=0 if delivered else quantity,
                        quantity_shipped=quantity if delivered else 0,
                        source_warehouse=warehouse,
                        status=LineStatus.SHIPPED if delivered else LineStatus.ALLOCATED,
                    )
                )
            changes.append(
                OrderStatusChange(
                    order=order,
                    from_status="",
                    to_status=OrderStatus.CONFIRMED,
                    at=placed,
                    reason="Order placed",
                )
            )
            if status != OrderStatus.CONFIRMED:
                later = placed + timedelta(days=4 if delivered else 0.1)
                changes.append(
                    OrderStatusChange(
                        order=order, from_status=OrderStatus.CONFIRMED, to_status=status, at=later
                    )
                )
            summary = f"Order {order.number} placed: " + ", ".join(f"{q} x {p.name}" for p, q in items)
            entries.append(
                Interaction(
                    customer_id=order.customer_id,
                    occurred_at=placed,
                    kind=InteractionKind.ORDER,
                    summary=f"{summary} ({order.total} {order.currency})"[:255],
                    source_type=content_type,
                    source_id=str(order.pk),
                    data={"order_id": order.pk, "order_number": order.number, "status": status},
                )
            )
            if order.channel == OrderChannel.B2B:
                b2b.append(order.pk)
        OrderLine.objects.bulk_create(lines, batch_size=BATCH)
        OrderStatusChange.objects.bulk_create(changes, batch_size=BATCH)
        Interaction.objects.bulk_create(entries, batch_size=BATCH)
    latest = (
        Interaction.objects.filter(customer_id__in={row[0] for row in rows})
        .values("customer_id")
        .annotate(last=Max("occurred_at"))
    )
    for row in latest:
        Customer.objects.filter(pk=row["customer_id"]).update(last_interaction_at=row["last"])
    return b2b


def _key_ids() -> dict[str, Any]:
    by_number = dict(
        Order.objects.filter(number__in=[LAPTOP_ORDER, "10031", "10005", "10014", "10040"]).values_list(
            "number", "pk"
        )
    )
    laptop = Order.objects.get(number=LAPTOP_ORDER)
    hold = laptop.holds.order_by("pk").first()
    b2b = list(Order.objects.filter(number__startswith="SP-").order_by("pk").values_list("pk", flat=True))
    return {
        "laptop_order_id": laptop.pk,
        "laptop_hold_id": hold.pk if hold else None,
        "headphones_order_id": by_number.get("10031"),
        "accessory_order_ids": [by_number[n] for n in ("10005", "10014", "10040") if n in by_number],
        "distributor_customer_ids": sorted(
            set(Order.objects.filter(pk__in=b2b).values_list("customer_id", flat=True))
        ),
        "distributor_order_ids": b2b,
        "orders": Order.objects.count(),
    }
