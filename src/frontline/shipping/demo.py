"""Demo data for shipping (seed 004: a spare-parts distributor shipping over several carriers).

``seed_shipping(orders=[...])`` creates the carriers UPS, DHL Express, DPD and FedEx (with a
few status overrides for codes karrio maps poorly) and, for each given order that has no
shipment yet, one shipment playing a scenario: delivered with proof of delivery, in transit,
delayed (with a later estimate), stalled, failed attempt, carrier exception, not picked up.
The first seven play each scenario once; the rest follow a realistic mix (most parcels in
transit or delivered, about one in five in trouble) with their event times spread out. The
events go through ``tracking_events_ingest`` and the sweep runs at the end, so every exception
comes from the rules R1-R7, as in production. Deterministic and idempotent.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from frontline.core.errors import DomainError
from frontline.orders.models import Order, OrderLine

from . import services, sweep
from .choices import DeliveryLocationType, EventSource, ShipmentStatus
from .models import Carrier, Shipment, ShipmentItem, StatusOverride
from .normalize import RawEvent

S = ShipmentStatus

CARRIERS: list[dict[str, Any]] = [
    {
        "code": "ups",
        "name": "UPS",
        "tracking_url_template": "https://www.ups.com/track?tracknum={tracking_number}",
        "timezone": "Europe/Berlin",
        "stall_threshold_hours": 72,
    },
    {
        "code": "dhl_express",
        "name": "DHL Express",
        "tracking_url_template": "https://www.dhl.com/de-en/home/tracking.html?tracking-id={tracking_number}",
        "timezone": "Europe/Berlin",
        "stall_threshold_hours": 48,
    },
    {
        "code": "dpd",
        "name": "DPD",
        "tracking_url_template": "https://tracking.dpd.de/status/en_US/parcel/{tracking_number}",
        "timezone": "Europe/Berlin",
        "stall_threshold_hours": 72,
        "not_picked_up_hours": 36,
    },
    {
        "code": "fedex",
        "name": "FedEx",
        "tracking_url_template": "https://www.fedex.com/fedextrack/?trknbr={tracking_number}",
        "timezone": "America/Chicago",
        "stall_threshold_hours": 96,
    },
]

#: Codes karrio leaves unmapped or maps lossily (see reference §1.5): our reading wins.
OVERRIDES = [
    ("ups", "OT", S.OUT_FOR_DELIVERY, ""),
    ("ups", "OF", S.OUT_FOR_DELIVERY, ""),
    ("dhl_express", "QX", S.EXCEPTION, "parcel_being_researched"),
    ("dhl_express", "NH", S.FAILED_ATTEMPT, "consignee_not_home"),
    ("dpd", "14", S.FAILED_ATTEMPT, "consignee_not_home"),
]

SCENARIOS = ("delivered", "in_transit", "delayed", "stalled", "failed_attempt", "exception", "not_picked_up")
#: How often each scenario comes up after the first seven (weights): most parcels are fine.
MIX = {
    "delivered": 38,
    "in_transit": 40,
    "delayed": 6,
    "stalled": 4,
    "failed_attempt": 5,
    "exception": 3,
    "not_picked_up": 4,
}
SEED = 4004
ScenarioEvents = list[tuple[timedelta, str, str, str, str]]  # (before now, status, code, text, place)


def _tracking_number(code: str, seed: int) -> str:
    if code == "ups":
        return f"1Z4F{seed:014d}"[:18]
    if code == "dhl_express":
        return f"{4_700_000_000 + seed:010d}"
    if code == "dpd":
        return f"0150{seed:010d}"
    return f"{770_000_000_000 + seed:012d}"


def carriers_seed() -> list[Carrier]:
    carriers = []
    for values in CARRIERS:
        carrier = Carrier.objects.filter(code=values["code"]).first()
        if carrier is None:
            fields = {k: v for k, v in values.items() if k not in ("code", "name")}
            carrier = services.carrier_create(by=None, code=values["code"], name=values["name"], **fields)
        carriers.append(carrier)
    by_code = {c.code: c for c in carriers}
    for code, raw, status, reason in OVERRIDES:
        if not StatusOverride.objects.filter(carrier=by_code[code], raw_code=raw).exists():
            services.status_override_set(
                by=None, carrier_id=by_code[code].pk, raw_code=raw, status=status, reason=reason
            )
    return carriers


def _events(scenario: str, city: str) -> tuple[ScenarioEvents, int, int | None]:
    """(events, days from now to the first estimate, days to the new estimate or None)."""
    h = timedelta(hours=1)
    label = (timedelta(days=3), S.LABEL_CREATED, "MP", "Shipment information received", "Kassel, DE")
    picked = (timedelta(days=2, hours=20), S.PICKED_UP, "PU", "Picked up by the carrier", "Kassel, DE")
    hub = (timedelta(days=2, hours=6), S.IN_TRANSIT, "AR", "Arrived at hub", "Leipzig, DE")
    depart = (timedelta(days=1, hours=22), S.IN_TRANSIT, "DP", "Departed from facility", "Leipzig, DE")
    if scenario == "delivered":
        return (
            [
                label,
                picked,
                hub,
                depart,
                (6 * h, S.OUT_FOR_DELIVERY, "OT", "Out for delivery", city),
                (2 * h, S.DELIVERED, "KB", "Delivered, left at the front door", city),
            ],
            0,
            None,
        )
    if scenario == "in_transit":
        return [label, picked, (10 * h, S.IN_TRANSIT, "AR", "Arrived at destination hub", city)], 1, None
    if scenario == "delayed":
        return (
            [
                label,
                picked,
                hub,
                (5 * h, S.DELAYED, "DY", "Delay: severe weather on the route", "Hannover, DE"),
            ],
            0,
            2,
        )
    if scenario == "stalled":
        return (
            [
                (timedelta(days=6), S.LABEL_CREATED, "MP", "Shipment information received", "Kassel, DE"),
                (timedelta(days=5, hours=18), S.PICKED_UP, "PU", "Picked up by the carrier", "Kassel, DE"),
                (timedelta(days=4, hours=2), S.IN_TRANSIT, "AR", "Arrived at hub", "Leipzig, DE"),
            ],
            1,
            None,
        )
    if scenario == "failed_attempt":
        return (
            [
                label,
                picked,
                hub,
                (8 * h, S.OUT_FOR_DELIVERY, "OT", "Out for delivery", city),
                (3 * h, S.FAILED_ATTEMPT, "NH", "Receiver not available, notice left", city),
            ],
            0,
            1,
        )
    if scenario == "exception":
        return (
            [
                label,
                picked,
                (7 * h, S.EXCEPTION, "X", "Package damaged, contents being checked", "Leipzig, DE"),
            ],
            1,
            None,
        )
    return (
        [(timedelta(days=3, hours=4), S.LABEL_CREATED, "MP", "Shipment information received", "Kassel, DE")],
        2,
        None,
    )


def _items(order: Order) -> list[services.ItemInput]:
    if ShipmentItem.objects.filter(order_line__order=order).exists():
        return []
    return [
        services.ItemInput(order_line_id=pk, quantity=q)
        for pk, q in OrderLine.objects.filter(order=order).values_list("pk", "quantity")
    ]


def seed_shipping(
    *, orders: list[int] | None = None, scale: str = "demo", now: datetime | None = None
) -> dict[str, Any]:
    """Carriers always; one shipment per given order without one. Returns what was made."""
    now = now or timezone.now()
    carriers = carriers_seed()
    made: Counter[str] = Counter()
    order_ids = [pk for pk in (orders or []) if not Shipment.objects.filter(order_id=pk).exists()]
    orders_by_id = Order.objects.in_bulk(order_ids)
    pick: Callable[[int], Carrier] = lambda i: carriers[i % len(carriers)]  # noqa: E731
    rng = random.Random(SEED)
    for index, order_id in enumerate(order_ids):
        order = orders_by_id.get(order_id)
        if order is None:
            continue
        if index < len(SCENARIOS):
            scenario, stretch = SCENARIOS[index], 1.0
        else:
            scenario = rng.choices(list(MIX), weights=list(MIX.values()))[0]
            stretch = rng.uniform(1.0, 1.8)  # older parcels: every silence only grows
        carrier = pick(index + index // len(SCENARIOS))
        city = order.shipping_address.get("city") or "Frankfurt am Main"
        events, first_days, new_days = _events(
            scenario, f"{city}, {order.shipping_address.get('country', 'DE')}"
        )
        events = [(ago * stretch, status, code, text, place) for ago, status, code, text, place in events]
        data = services.ShipmentInput(
            carrier_id=carrier.pk,
            tracking_number=_tracking_number(carrier.code, order.pk * 7 + 11),
            order_id=order.pk,
            service={"ups": "UPS Standard", "dhl_express": "Express Worldwide", "dpd": "Classic"}.get(
                carrier.code, "International Economy"
            ),
            label_created_at=now - events[0][0],
            current_edd=(now + timedelta(days=first_days)).date(),
            weight=None,
            items=_items(order),
        )
        try:
            shipment = services.shipment_create(by=None, data=data)
        except DomainError:
            data.items = []
            shipment = services.shipment_create(by=None, data=data)
        raw = [
            RawEvent(
                occurred_at=now - ago,
                status=status,
                code=code,
                description=text,
                location_text=place,
                reason="carrier_damaged_parcel" if status == S.EXCEPTION else "",
            )
            for ago, status, code, text, place in events
        ]
        pod = None
        if scenario == "delivered":
            pod = services.PodInput(
                signed_by=(order.shipping_address.get("name") or "A. NEIGHBOUR").upper()[:60],
                location_type=DeliveryLocationType.FRONT_DOOR,
                location_note="Front door",
            )
        edd = (now + timedelta(days=new_days)).date() if new_days is not None else None
        services.tracking_events_ingest(
            shipment_id=shipment.pk, events=raw, source=EventSource.POLL, edd=edd, pod=pod, now=now
        )
        made[scenario] += 1
    swept = sweep.exception_sweep(now)
    return {
        "scale": scale,
        "carriers": len(carriers),
        "shipments": sum(made.values()),
        "scenarios": dict(made),
        "exceptions_opened_by_sweep": swept.opened,
    }
