"""Reads of the shipping app that join or filter: each owns its select_related/prefetch, so a
list or a page costs a fixed number of queries whatever its size."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet

from frontline.core.errors import NotFound

from .choices import ExceptionStatus
from .models import Carrier, DeliveryException, Shipment, ShipmentItem, TrackingEvent

SHIPMENT_ORDERS = {
    "-created": ("-created_at", "-id"),
    "created": ("created_at", "id"),
    "edd": ("current_edd", "id"),
}


@dataclass
class ShipmentFilters:
    carrier: str = ""
    status: str = ""
    order_id: int | None = None
    order_number: str = ""
    tracking_number: str = ""
    active: bool | None = None
    order: str = "-created"


@dataclass
class Page:
    total: int
    items: list[Any]


def _shipments(filters: ShipmentFilters) -> QuerySet[Shipment]:
    qs = Shipment.objects.all()
    if filters.carrier:
        qs = qs.filter(carrier__code=filters.carrier)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.order_id is not None:
        qs = qs.filter(order_id=filters.order_id)
    if filters.order_number:
        qs = qs.filter(order__number=filters.order_number)
    if filters.tracking_number:
        qs = qs.filter(tracking_number=" ".join(filters.tracking_number.split()))
    if filters.active is not None:
        qs = qs.filter(tracking_active=filters.active)
    return qs


def shipment_list(*, filters: ShipmentFilters, offset: int = 0, limit: int = 50) -> Page:
    """Shipments one page at a time (DB pagination): 2 queries."""
    qs = _shipments(filters)
    total = qs.count()
    ordering = SHIPMENT_ORDERS.get(filters.order, SHIPMENT_ORDERS["-created"])
    items = list(
        qs.select_related("carrier", "order", "origin_warehouse")
        .annotate(open_exceptions=Count("exceptions", filter=Q(exceptions__resolved_at__isnull=True)))
        .order_by(*ordering)[offset : offset + limit]
    )
    return Page(total=total, items=items)


def shipment_get_detail(*, pk: int, events_limit: int = 200) -> Shipment:
    """A shipment with its carrier, order, warehouse, proof of delivery, items, newest events
    and exceptions: 5 queries."""
    shipment = (
        Shipment.objects.select_related(
            "carrier", "order", "origin_warehouse", "account", "proof_of_delivery"
        )
        .prefetch_related(
            Prefetch("items", queryset=ShipmentItem.objects.select_related("order_line")),
            Prefetch(
                "exceptions",
                queryset=DeliveryException.objects.select_related("assigned_to").order_by(
                    "resolved_at", "-detected_at"
                ),
            ),
        )
        .filter(pk=pk)
        .first()
    )
    if shipment is None:
        raise NotFound("Shipment not found.", field="shipment")
    shipment.recent_events = list(  # type: ignore[attr-defined]
        TrackingEvent.objects.filter(shipment_id=pk).order_by("-occurred_at", "-id")[:events_limit]
    )
    return shipment


def shipment_get_public(*, token: str) -> Shipment | None:
    """The shipment behind a public tracking link (for the tracking page)."""
    return Shipment.objects.select_related("carrier").filter(public_token=token).first()


def shipments_for_order(*, order_id: int) -> list[Shipment]:
    """An order's shipments with carrier, items and open-exception counts: 2 queries."""
    return list(
        Shipment.objects.filter(order_id=order_id)
        .select_related("carrier", "proof_of_delivery")
        .annotate(open_exceptions=Count("exceptions", filter=Q(exceptions__resolved_at__isnull=True)))
        .prefetch_related(Prefetch("items", queryset=ShipmentItem.objects.select_related("order_line")))
        .order_by("created_at", "id")
    )


@dataclass
class ExceptionFilters:
    open: bool | None = True
    status: str = ""
    carrier: str = ""
    kind: str = ""
    reason: str = ""
    warehouse_id: int | None = None
    assigned_to_id: int | None = None
    unassigned: bool = False
    shipment_id: int | None = None
    order_id: int | None = None


def _exceptions(filters: ExceptionFilters) -> QuerySet[DeliveryException]:
    qs = DeliveryException.objects.all()
    if filters.open is True:
        qs = qs.filter(resolved_at__isnull=True)
    elif filters.open is False:
        qs = qs.filter(resolved_at__isnull=False)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.carrier:
        qs = qs.filter(shipment__carrier__code=filters.carrier)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.reason:
        qs = qs.filter(reason=filters.reason)
    if filters.warehouse_id is not None:
        qs = qs.filter(shipment__origin_warehouse_id=filters.warehouse_id)
    if filters.assigned_to_id is not None:
        qs = qs.filter(assigned_to_id=filters.assigned_to_id)
    if filters.unassigned:
        qs = qs.filter(assigned_to__isnull=True)
    if filters.shipment_id is not None:
        qs = qs.filter(shipment_id=filters.shipment_id)
    if filters.order_id is not None:
        qs = qs.filter(order_id=filters.order_id)
    return qs


def exception_list(*, filters: ExceptionFilters, offset: int = 0, limit: int = 50) -> Page:
    """Exceptions, highest impact first (the dashboard's order): 2 queries."""
    qs = _exceptions(filters)
    total = qs.count()
    items = list(
        qs.select_related("shipment__carrier", "shipment__origin_warehouse", "order", "assigned_to").order_by(
            "-impact_score", "-detected_at", "-id"
        )[offset : offset + limit]
    )
    return Page(total=total, items=items)


def exception_get(*, pk: int) -> DeliveryException:
    exception = (
        DeliveryException.objects.select_related("shipment__carrier", "order", "assigned_to", "trigger_event")
        .filter(pk=pk)
        .first()
    )
    if exception is None:
        raise NotFound("Delivery exception not found.", field="exception")
    return exception


def exception_counts() -> dict[str, int]:
    """Unresolved exceptions by status (dashboard header)."""
    rows = (
        DeliveryException.objects.filter(resolved_at__isnull=True)
        .values_list("status")
        .annotate(n=Count("id"))
        .order_by()
    )
    counts = {
        s.value: 0
        for s in ExceptionStatus
        if s not in (ExceptionStatus.RESOLVED, ExceptionStatus.AUTO_RESOLVED)
    }
    counts.update({status: n for status, n in rows})
    return counts


def carrier_list() -> list[Carrier]:
    """Carriers with their active-shipment, open-exception and account counts: 1 query."""
    return list(
        Carrier.objects.annotate(
            active_shipments=Count("shipments", filter=Q(shipments__tracking_active=True), distinct=True),
            accounts_count=Count("accounts", distinct=True),
            overrides_count=Count("status_overrides", distinct=True),
        ).order_by("name")
    )
