"""Deterministic demo data for the catalog: warehouses, transit times, products, stock, inbound
restocks, and the seed-000 scenarios (``seed_catalog``). The orders/shipping seeders use the
ids it returns; ``frontline seed`` calls it.

Everything is written through the services, except the backorder history of the smartphone
accessory before today (three closed periods this quarter), which is history from before
Frontline, written as such.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from . import services
from .choices import InboundStatus, StockSource, WarehouseKind
from .models import BackorderPeriod, InboundShipment, Product, Warehouse

SEED = 4000
SCALES = {"demo": 300, "s": 5_000, "m": 20_000, "l": 100_000}

WAREHOUSES = [
    # code, name, kind, country, time zone, cut-off, handling days, city
    ("BER", "Berlin fulfilment centre", WarehouseKind.OWN, "DE", "Europe/Berlin", time(14, 0), 0, "Berlin"),
    (
        "RTM",
        "Rotterdam 3PL (Maasvlakte)",
        WarehouseKind.THREE_PL,
        "NL",
        "Europe/Amsterdam",
        time(12, 0),
        1,
        "Rotterdam",
    ),
    ("POZ", "Poznań 3PL", WarehouseKind.THREE_PL, "PL", "Europe/Warsaw", time(15, 0), 1, "Poznań"),
    ("RNO", "Reno US warehouse", WarehouseKind.THREE_PL, "US", "America/Los_Angeles", time(13, 0), 1, "Reno"),
]
TRANSIT = [
    # warehouse, carrier, service, country ("" = anywhere else), business days, default
    ("BER", "dhl", "paket", "DE", 1, True),
    ("BER", "dhl", "paket_international", "", 3, True),
    ("BER", "ups", "express", "", 1, False),
    ("RTM", "postnl", "standard", "NL", 1, True),
    ("RTM", "dhl", "parcel", "DE", 2, True),
    ("RTM", "ups", "standard", "", 3, True),
    ("POZ", "inpost", "paczkomat", "PL", 1, True),
    ("POZ", "dpd", "classic", "DE", 2, True),
    ("POZ", "dpd", "classic", "", 4, True),
    ("RNO", "ups", "ground", "US", 3, True),
    ("RNO", "fedex", "international", "", 6, True),
]
CATEGORIES = {
    "Audio": ["Earbuds", "Headphones", "Speaker", "Soundbar", "Microphone"],
    "Computers": ["Laptop", "Monitor", "Keyboard", "Mouse", "Docking station"],
    "Phones": ["Smartphone", "Phone case", "Screen protector", "Charger", "Power bank"],
    "Gaming": ["Controller", "Headset", "Gaming mouse", "Capture card", "Racing wheel"],
    "Smart home": ["Smart plug", "Camera", "Doorbell", "Thermostat", "Light strip"],
}
BRANDS = ["Aurion", "Beltra", "Corvix", "Dynamo", "Elvora", "Fluxon", "Gravik", "Helix", "Ionis", "Juno"]
VARIANTS = ["Black", "White", "Blue", "Pro", "Lite", "Max", "Mini", "2nd gen", "Plus", "S"]

HEADPHONES_SKU = "AS-X2-BLK"
LAPTOP_SKU = "TG15-16-512"
ACCESSORY_SKU = "PS-NOVA12-CASE"
# The other products the demo's cases name in their "Product SKU" field (workspace/demo_cases.py),
# so the case page's Product panel finds each: most in stock (a replacement can be promised), the
# white headphones sold out.
# sku, name, category, barcode, price, stock in BER and RTM
CASE_PRODUCTS = [
    ("PS3-44-GRY", "Pulse S3 smartwatch", "Wearables", "4006381333962", "249.00", 42, 18),
    ("TC4K-01", "TrailCam 4K action camera", "Cameras", "4006381333979", "189.00", 27, 0),
    ("BM-MINI-RED", "Boom Mini Bluetooth speaker", "Audio", "4006381333986", "39.90", 120, 64),
    ("D7-USBC", "Dock7 USB-C hub", "Computers", "4006381333993", "59.00", 85, 40),
    ("AS-X2-WHT", "AuraSound X2 wireless headphones, white", "Audio", "4006381334006", "119.00", 0, 0),
    ("T-12377", "Fancy Shirt", "Apparel", "4006381334013", "49.90", 36, 12),
    ("BP-4471", "Brake pad set BP-4471 (front axle)", "Spare parts", "4006381334020", "38.50", 260, 140),
    ("OF-220", "Oil filter OF-220", "Spare parts", "4006381334037", "6.90", 900, 480),
]


def _ean(rng: random.Random) -> str:
    digits = [rng.randint(0, 9) for _ in range(12)]
    check = (10 - sum(d * (3 if i % 2 else 1) for i, d in enumerate(digits)) % 10) % 10
    return "".join(map(str, digits)) + str(check)


def _keys() -> dict[str, Any]:
    products = dict(
        Product.objects.filter(sku__in=[HEADPHONES_SKU, LAPTOP_SKU, ACCESSORY_SKU]).values_list("sku", "pk")
    )
    inbound = dict(
        InboundShipment.objects.filter(reference__startswith="DEMO-").values_list("reference", "pk")
    )
    return {
        "warehouses": dict(Warehouse.objects.values_list("code", "pk")),
        "headphones": products.get(HEADPHONES_SKU),
        "laptop": products.get(LAPTOP_SKU),
        "accessory": products.get(ACCESSORY_SKU),
        "headphones_inbound": inbound.get("DEMO-PO-HP-0420"),
        "laptop_inbound": inbound.get("DEMO-PO-GL-0412"),
        "accessory_inbound": inbound.get("DEMO-ASN-ACC-0431"),
        "products": Product.objects.count(),
    }


def _quarter_start(today: date) -> date:
    return date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)


def seed_catalog(*, scale: str) -> dict[str, Any]:
    """Create the catalog demo data for ``scale`` (demo, s, m, l); return the ids others need:

    ``warehouses`` ({code: id}), ``headphones``, ``laptop``, ``accessory`` (product ids),
    ``headphones_inbound``, ``laptop_inbound``, ``accessory_inbound`` (inbound shipment ids),
    ``products`` (how many products exist). Running it again changes nothing and returns the
    same ids.
    """
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {', '.join(SCALES)}")
    if Product.objects.filter(sku=HEADPHONES_SKU).exists():
        return _keys()
    with transaction.atomic():
        _seed(scale)
    return _keys()


def _seed(scale: str) -> None:
    rng = random.Random(SEED)
    now = timezone.now()
    today = timezone.localdate()
    warehouses: dict[str, Warehouse] = {}
    for code, name, kind, country, tz, cutoff, handling, city in WAREHOUSES:
        warehouses[code] = Warehouse.objects.filter(code=code).first() or services.warehouse_create(
            code=code,
            name=name,
            kind=kind,
            country=country,
            timezone_name=tz,
            cutoff_time=cutoff,
            handling_days=handling,
            address={"city": city, "country": country},
            by=None,
        )
    for code, carrier, service, country, days, default in TRANSIT:
        services.transit_time_set(
            warehouse_id=warehouses[code].pk,
            carrier_code=carrier,
            service=service,
            country=country,
            business_days=days,
            is_default=default,
            by=None,
        )

    # --- the seed-000 scenarios ---------------------------------------------------------------
    headphones = services.product_create(
        data=services.ProductInput(
            sku=HEADPHONES_SKU,
            name="AuraSound X2 wireless headphones",
            category="Audio",
            barcode="4006381333931",
            price="119.00",
            low_stock_threshold=25,
            supplier_lead_time_days=21,
            attributes={"promotion": "Spring sale -20%", "colour": "Black", "battery": "30 h"},
        ),
        by=None,
    )
    laptop = services.product_create(
        data=services.ProductInput(
            sku=LAPTOP_SKU,
            name="Titan G15 gaming laptop",
            category="Computers",
            barcode="4006381333948",
            price="1899.00",
            low_stock_threshold=3,
            supplier_lead_time_days=30,
            attributes={"gpu": "RTX 5070", "ram": "32 GB"},
        ),
        by=None,
    )
    accessory = services.product_create(
        data=services.ProductInput(
            sku=ACCESSORY_SKU,
            name="PowerSnap charging case for Nova 12",
            category="Phones",
            barcode="4006381333955",
            price="29.90",
            low_stock_threshold=40,
            allow_backorder=True,
            supplier_lead_time_days=10,
            attributes={"fits": "Nova 12", "colour": "Clear"},
        ),
        by=None,
    )
    ber, rtm = warehouses["BER"].pk, warehouses["RTM"].pk
    # Headphones: a promotion emptied the shelves - low stock, still shippable; more on the way.
    services.stock_load_initial(
        rows=[(headphones.pk, ber, 60), (headphones.pk, rtm, 14)],
        by=None,
        source=StockSource.WMS,
        reference="go-live",
    )
    for n, quantity in enumerate((12, 9, 15, 11, 3), start=1):
        services.stock_reserve(
            product_id=headphones.pk, warehouse_id=ber, quantity=quantity, reference=f"DEMO-PROMO-{n:03d}"
        )
    services.stock_ship(
        product_id=headphones.pk, warehouse_id=ber, quantity=35, reference="DEMO-PROMO-WAVE-1"
    )
    services.inbound_create(
        reference="DEMO-PO-HP-0420",
        supplier="Aurion Audio Ltd.",
        warehouse_id=ber,
        expected_date=today + timedelta(days=6),
        lines=[services.InboundLineInput(headphones.pk, 200)],
        carrier_code="dhl",
        tracking_number="JJD000390007771234",
        status=InboundStatus.IN_TRANSIT,
        by=None,
    )
    # Gaming laptop: sold out (an order waits on hold), a shipment arrives in two days.
    services.stock_load_initial(
        rows=[(laptop.pk, ber, 4)], by=None, source=StockSource.WMS, reference="go-live"
    )
    services.stock_reserve(product_id=laptop.pk, warehouse_id=ber, quantity=4, reference="DEMO-GL-ORDERS")
    services.stock_ship(product_id=laptop.pk, warehouse_id=ber, quantity=4, reference="DEMO-GL-ORDERS")
    services.inbound_create(
        reference="DEMO-PO-GL-0412",
        supplier="Corvix Computers GmbH",
        warehouse_id=ber,
        expected_date=today + timedelta(days=2),
        lines=[services.InboundLineInput(laptop.pk, 20)],
        carrier_code="dhl",
        tracking_number="JJD000390007775678",
        status=InboundStatus.IN_TRANSIT,
        by=None,
    )
    # Smartphone accessory: backordered three times this quarter, and again now.
    quarter = _quarter_start(today)
    span = (today - quarter).days
    start = timezone.make_aware(
        datetime.combine(quarter if span >= 30 else today - timedelta(days=90), time(9))
    )
    length = max(span, 30) if span >= 30 else 90
    BackorderPeriod.objects.bulk_create(
        [
            BackorderPeriod(
                product=accessory,
                warehouse=None,
                started_at=start + timedelta(days=length * fraction),
                ended_at=start + timedelta(days=length * fraction + days),
            )
            for fraction, days in ((0.1, 4), (0.4, 6), (0.7, 3))
        ]
    )
    services.stock_load_initial(
        rows=[(accessory.pk, ber, 5)], by=None, source=StockSource.WMS, reference="go-live"
    )
    services.stock_reserve(
        product_id=accessory.pk, warehouse_id=ber, quantity=11, reference="DEMO-ACC-ORDERS"
    )
    services.inbound_create(
        reference="DEMO-ASN-ACC-0431",
        supplier="Juno Accessories Co.",
        warehouse_id=ber,
        expected_date=today + timedelta(days=9),
        lines=[services.InboundLineInput(accessory.pk, 150)],
        status=InboundStatus.ORDERED,
        by=None,
    )

    for sku, name, category, barcode, price, in_ber, in_rtm in CASE_PRODUCTS:
        product = services.product_create(
            data=services.ProductInput(
                sku=sku, name=name, category=category, barcode=barcode, price=price, low_stock_threshold=10
            ),
            by=None,
        )
        services.stock_load_initial(
            rows=[(product.pk, ber, in_ber), *([(product.pk, rtm, in_rtm)] if in_rtm else [])],
            by=None,
            source=StockSource.WMS,
            reference="go-live",
        )

    # --- the rest of the catalogue --------------------------------------------------------------
    count = SCALES[scale] - 3 - len(CASE_PRODUCTS)
    inputs = []
    for i in range(count):
        category = rng.choice(list(CATEGORIES))
        item_type = rng.choice(CATEGORIES[category])
        brand, variant = rng.choice(BRANDS), rng.choice(VARIANTS)
        inputs.append(
            services.ProductInput(
                sku=f"{category[:3].upper()}-{i + 1:06d}",
                name=f"{brand} {item_type} {variant}",
                category=category,
                barcode=_ean(rng),
                price=f"{rng.randint(5, 900)}.{rng.choice(['00', '49', '90', '99'])}",
                low_stock_threshold=rng.choice([3, 5, 10, 20]),
                allow_backorder=rng.random() < 0.2,
                supplier_lead_time_days=rng.choice([7, 14, 21, 30]),
            )
        )
    products = services.product_create_many(items=inputs, by=None)
    codes = list(warehouses)
    rows = []
    for product in products:
        for code in rng.sample(codes, rng.choice([1, 1, 2, 2, 3])):
            rows.append((product.pk, warehouses[code].pk, rng.choice([0, 0, 2, 4, 8, 15, 30, 60, 120, 250])))
    services.stock_load_initial(rows=rows, by=None, source=StockSource.WMS, as_of=now - timedelta(hours=2))
    for n in range(max(len(products) // 25, 5)):
        lines = rng.sample(products, rng.randint(1, 4))
        status = rng.choice([InboundStatus.ORDERED, InboundStatus.IN_TRANSIT, InboundStatus.ORDERED])
        expected = today + timedelta(days=rng.randint(-3, 28))
        inbound = services.inbound_create(
            reference=f"DEMO-PO-{n + 1:06d}",
            supplier=f"{rng.choice(BRANDS)} Supply",
            warehouse_id=warehouses[rng.choice(codes)].pk,
            expected_date=expected,
            lines=[services.InboundLineInput(p.pk, rng.choice([10, 20, 50, 100])) for p in lines],
            status=status,
            by=None,
        )
        if rng.random() < 0.15:
            services.inbound_reschedule(
                inbound_id=inbound.pk, expected_date=expected + timedelta(days=rng.randint(2, 9)), by=None
            )
