"""What the public tracking page may show, and nothing more.

A visitor proves they may see an order with its number plus the order's email address or
delivery postal code, or with a shipment's tracking link (``Shipment.public_token``, random and
unguessable). What comes back is plain data without personal details: milestones, dates,
carrier events (text, city, country, time) and whether and where the parcel was left. Never the
customer's name or address, internal notes, or delivery exceptions.

Reads cost a fixed number of queries: the order (or the link's shipment), the order's shipments,
and their newest events.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from frontline.orders.models import Order
from frontline.shipping.choices import Direction, ShipmentStatus
from frontline.shipping.models import Shipment, TrackingEvent

EVENTS_SHOWN = 10

MILESTONES = (
    ("ordered", _("Ordered")),
    ("shipped", _("Shipped")),
    ("in_transit", _("In transit")),
    ("out_for_delivery", _("Out for delivery")),
    ("delivered", _("Delivered")),
)

#: Our normalised shipment status -> the index of the milestone reached.
STEP_OF_STATUS = {
    ShipmentStatus.LABEL_CREATED: 0,
    ShipmentStatus.UNKNOWN: 0,
    ShipmentStatus.CANCELLED: 0,
    ShipmentStatus.PICKED_UP: 1,
    ShipmentStatus.IN_TRANSIT: 2,
    ShipmentStatus.DELAYED: 2,
    ShipmentStatus.EXCEPTION: 2,
    ShipmentStatus.RETURNING: 2,
    ShipmentStatus.RETURNED: 2,
    ShipmentStatus.OUT_FOR_DELIVERY: 3,
    ShipmentStatus.AVAILABLE_FOR_PICKUP: 3,
    ShipmentStatus.FAILED_ATTEMPT: 3,
    ShipmentStatus.DELIVERED: 4,
}

#: Statuses the customer should know are not the normal course (shown beside the milestone).
ATTENTION = frozenset(
    {
        ShipmentStatus.DELAYED,
        ShipmentStatus.EXCEPTION,
        ShipmentStatus.FAILED_ATTEMPT,
        ShipmentStatus.RETURNING,
        ShipmentStatus.RETURNED,
        ShipmentStatus.AVAILABLE_FOR_PICKUP,
    }
)


@dataclass(frozen=True)
class Milestone:
    key: str
    label: str
    state: str  # done, current, todo


@dataclass(frozen=True)
class PublicEvent:
    at: datetime
    description: str
    place: str
    status_label: str


@dataclass(frozen=True)
class PublicParcel:
    carrier: str
    tracking_number: str
    status_label: str
    attention: bool
    milestones: list[Milestone]
    estimated: date | None
    promised: date | None
    delivered_at: datetime | None
    left_at: str  # the proof of delivery's location type, e.g. "Front door"
    signed: bool
    carrier_url: str


@dataclass
class PublicTracking:
    order_number: str
    placed_on: date
    promised: date | None
    parcels: list[PublicParcel] = field(default_factory=list)
    events: list[PublicEvent] = field(default_factory=list)
    milestones: list[Milestone] = field(default_factory=list)  # before anything shipped
    time_zone: str = "UTC"


def _normalise_postal(value: str) -> str:
    return "".join(value.split()).upper()


def proof_matches(order: Order, proof: str) -> bool:
    """The order's email (any case) or its delivery postal code (any spacing or case)."""
    proof = proof.strip()
    if not proof:
        return False
    if "@" in proof:
        expected, given = order.email.strip().casefold(), proof.casefold()
    else:
        expected, given = _normalise_postal(order.shipping_postal_code), _normalise_postal(proof)
    return bool(expected) and hmac.compare_digest(expected.encode(), given.encode())


def order_for_proof(*, number: str, proof: str) -> Order | None:
    """The order when the pair matches, else None (whether or not the order exists): 1 query."""
    order = Order.objects.select_related("customer").filter(number=number.strip()).first()
    if order is None or not proof_matches(order, proof):
        # Compare anyway so a wrong number costs about as long as a wrong email.
        hmac.compare_digest(b"x" * 16, proof.encode()[:16].ljust(16, b"x"))
        return None
    return order


def order_for_link(*, token: str) -> Order | None:
    """The order behind a shipment's tracking link: 1 query."""
    if not token or len(token) > 64:
        return None
    shipment = (
        Shipment.objects.select_related("order__customer")
        .filter(public_token=token, direction=Direction.OUTBOUND, order__isnull=False)
        .first()
    )
    return shipment.order if shipment is not None else None


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _milestones(step: int) -> list[Milestone]:
    return [
        Milestone(key, str(label), "done" if i < step else "current" if i == step else "todo")
        for i, (key, label) in enumerate(MILESTONES)
    ]


def tracking_for_order(order: Order) -> PublicTracking:
    """The public view of an order: 2 queries (its shipments, their newest events)."""
    tz = _zone(order.customer.time_zone if order.customer_id else "UTC")
    shipments = list(
        Shipment.objects.filter(order_id=order.pk, direction=Direction.OUTBOUND)
        .exclude(status=ShipmentStatus.CANCELLED)
        .select_related("carrier", "proof_of_delivery")
        .order_by("created_at", "id")
    )
    tracking = PublicTracking(
        order_number=order.number,
        placed_on=timezone.localtime(order.placed_at, tz).date(),
        promised=order.promised_delivery_date,
        time_zone=str(tz),
    )
    for shipment in shipments:
        pod = getattr(shipment, "proof_of_delivery", None)
        delivered = shipment.status == ShipmentStatus.DELIVERED
        tracking.parcels.append(
            PublicParcel(
                carrier=shipment.carrier.name,
                tracking_number=shipment.tracking_number,
                status_label=str(ShipmentStatus(shipment.status).label),
                attention=shipment.status in ATTENTION,
                milestones=_milestones(STEP_OF_STATUS.get(ShipmentStatus(shipment.status), 0)),
                estimated=None if delivered else shipment.current_edd,
                promised=shipment.promised_date or order.promised_delivery_date,
                delivered_at=(pod.delivered_at if pod and pod.delivered_at else shipment.delivered_at)
                if delivered
                else None,
                left_at=pod.get_location_type_display() if pod and pod.location_type and delivered else "",
                signed=bool(pod and pod.signed_by) and delivered,
                carrier_url=shipment.carrier_tracking_url
                or shipment.carrier.tracking_url(shipment.tracking_number),
            )
        )
    if not shipments:
        tracking.milestones = _milestones(0)
    else:
        events = TrackingEvent.objects.filter(shipment__in=shipments).order_by("-occurred_at", "-id")[
            :EVENTS_SHOWN
        ]
        tracking.events = [
            PublicEvent(
                at=timezone.localtime(event.occurred_at, tz),
                description=event.description or str(ShipmentStatus(event.status).label),
                place=", ".join(p for p in (event.city, event.country) if p),
                status_label=str(ShipmentStatus(event.status).label),
            )
            for event in events
        ]
    return tracking
