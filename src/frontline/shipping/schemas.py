"""The shapes the shipping API accepts and returns. Inputs check shape (types, lengths, known
choices); the rules are in services.py. Outputs read only what the selectors load."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from ninja import Field, Schema
from pydantic import ConfigDict

from frontline.core.api import MAX_ID

from .choices import AGENT_RESOLUTIONS, Direction, IncidentReason, ShipmentStatus
from .models import Carrier, DeliveryException, ProofOfDelivery, Shipment, TrackingEvent


class InputSchema(Schema):
    model_config = ConfigDict(extra="forbid")


class ItemIn(InputSchema):
    order_line_id: int = Field(..., ge=1, le=MAX_ID)
    quantity: int = Field(..., ge=1, le=1_000_000)


class ShipmentCreateIn(InputSchema):
    carrier: str = Field(..., min_length=2, max_length=40, description="Carrier code, e.g. ups, dhl_express.")
    tracking_number: str = Field(..., min_length=3, max_length=64)
    order_id: int | None = Field(None, ge=1, le=MAX_ID)
    origin_warehouse_id: int | None = Field(None, ge=1, le=MAX_ID)
    account_id: int | None = Field(None, ge=1, le=MAX_ID)
    service: str = Field("", max_length=100)
    direction: Direction = Direction.OUTBOUND
    promised_date: date | None = Field(None, description="Defaults to the order's promised delivery date.")
    estimated_delivery: date | None = None
    package_count: int = Field(1, ge=1, le=999)
    weight: Decimal | None = Field(None, ge=0, max_digits=10, decimal_places=3, description="Kilograms.")
    items: list[ItemIn] = Field(default_factory=list, max_length=500)


class EventIn(InputSchema):
    occurred_at: datetime = Field(..., description="With its time zone offset.")
    status: ShipmentStatus
    description: str = Field(..., min_length=1, max_length=500)
    location: str = Field("", max_length=255)
    reason: IncidentReason | None = None


class AssignIn(InputSchema):
    assignee_id: int | None = Field(..., ge=1, le=MAX_ID, description="null unassigns.")


class ResolveIn(InputSchema):
    resolution: str = Field(..., max_length=20, description=", ".join(r.value for r in AGENT_RESOLUTIONS))
    note: str = Field("", max_length=2000)


class ContactedIn(InputSchema):
    proactive: bool = Field(..., description="true: we told the customer; false: the customer contacted us.")


# --- outputs ----------------------------------------------------------------------------------


class CarrierOut(Schema):
    id: int
    code: str
    name: str
    is_active: bool
    supports_polling: bool
    poll_interval_minutes: int
    stall_threshold_hours: int
    not_picked_up_hours: int

    @classmethod
    def build(cls, carrier: Carrier) -> CarrierOut:
        return cls(
            id=carrier.pk,
            code=carrier.code,
            name=carrier.name,
            is_active=carrier.is_active,
            supports_polling=carrier.supports_polling,
            poll_interval_minutes=carrier.poll_interval_minutes,
            stall_threshold_hours=carrier.stall_threshold_hours,
            not_picked_up_hours=carrier.not_picked_up_hours,
        )


class ShipmentListItem(Schema):
    id: int
    carrier: str
    carrier_name: str
    tracking_number: str
    order_id: int | None
    order_number: str | None
    direction: str
    status: str
    status_detail: str
    reason: str
    current_edd: date | None
    original_edd: date | None
    promised_date: date | None
    shipped_at: datetime | None
    delivered_at: datetime | None
    last_event_at: datetime | None
    tracking_active: bool
    carrier_tracking_url: str
    open_exceptions: int

    @classmethod
    def fields_of(cls, s: Shipment) -> dict[str, Any]:
        return {
            "id": s.pk,
            "carrier": s.carrier.code,
            "carrier_name": s.carrier.name,
            "tracking_number": s.tracking_number,
            "order_id": s.order_id,
            "order_number": s.order.number if s.order_id and s.order else None,
            "direction": s.direction,
            "status": s.status,
            "status_detail": s.status_detail,
            "reason": s.reason,
            "current_edd": s.current_edd,
            "original_edd": s.original_edd,
            "promised_date": s.promised_date,
            "shipped_at": s.shipped_at,
            "delivered_at": s.delivered_at,
            "last_event_at": s.last_event_at,
            "tracking_active": s.tracking_active,
            "carrier_tracking_url": s.carrier_tracking_url,
            "open_exceptions": getattr(s, "open_exceptions", 0),
        }

    @classmethod
    def build(cls, s: Shipment) -> ShipmentListItem:
        return cls(**cls.fields_of(s))


class ShipmentPage(Schema):
    count: int
    next: str | None
    previous: str | None
    results: list[ShipmentListItem]


class EventOut(Schema):
    id: int
    occurred_at: datetime
    status: str
    reason: str
    carrier_code: str
    description: str
    raw_date: str
    raw_time: str
    raw_tz: str
    location: str
    city: str
    postal_code: str
    country: str
    source: str
    received_at: datetime

    @classmethod
    def build(cls, e: TrackingEvent) -> EventOut:
        return cls(
            id=e.pk,
            occurred_at=e.occurred_at,
            status=e.status,
            reason=e.reason,
            carrier_code=e.carrier_code,
            description=e.description,
            raw_date=e.raw_date,
            raw_time=e.raw_time,
            raw_tz=e.raw_tz,
            location=e.location_text,
            city=e.city,
            postal_code=e.postal_code,
            country=e.country,
            source=e.source,
            received_at=e.received_at,
        )


class PodOut(Schema):
    signed_by: str
    delivered_at: datetime | None
    location_type: str
    location_note: str
    signature_url: str | None
    photo_url: str | None
    urls: list[dict[str, str]]

    @classmethod
    def build(cls, pod: ProofOfDelivery) -> PodOut:
        return cls(
            signed_by=pod.signed_by,
            delivered_at=pod.delivered_at,
            location_type=pod.location_type,
            location_note=pod.location_note,
            signature_url=pod.signature_image.url if pod.signature_image else None,
            photo_url=pod.photo.url if pod.photo else None,
            urls=pod.urls,
        )


class ExceptionOut(Schema):
    id: int
    shipment_id: int
    order_id: int | None
    kind: str
    rule_id: str
    reason: str
    severity: str
    status: str
    summary: str
    detected_at: datetime
    expected_by: date | None
    new_expected_by: date | None
    delay_days: int
    impact_score: int
    assigned_to_id: int | None
    acknowledged_at: datetime | None
    customer_notified_at: datetime | None
    customer_contacts: int
    contacted_first: bool | None
    resolution: str
    resolution_note: str
    resolved_at: datetime | None
    case_id: int | None
    carrier: str | None = None
    tracking_number: str | None = None

    @classmethod
    def build(cls, e: DeliveryException, *, with_shipment: bool = True) -> ExceptionOut:
        shipment = e.shipment if with_shipment else None
        return cls(
            id=e.pk,
            shipment_id=e.shipment_id,
            order_id=e.order_id,
            kind=e.kind,
            rule_id=e.rule_id,
            reason=e.reason,
            severity=e.severity,
            status=e.status,
            summary=e.summary,
            detected_at=e.detected_at,
            expected_by=e.expected_by,
            new_expected_by=e.new_expected_by,
            delay_days=e.delay_days,
            impact_score=e.impact_score,
            assigned_to_id=e.assigned_to_id,
            acknowledged_at=e.acknowledged_at,
            customer_notified_at=e.customer_notified_at,
            customer_contacts=e.customer_contacts,
            contacted_first=e.contacted_first,
            resolution=e.resolution,
            resolution_note=e.resolution_note,
            resolved_at=e.resolved_at,
            case_id=e.case_id,
            carrier=shipment.carrier.code if shipment is not None else None,
            tracking_number=shipment.tracking_number if shipment is not None else None,
        )


class ExceptionPage(Schema):
    count: int
    next: str | None
    previous: str | None
    results: list[ExceptionOut]


class ItemOut(Schema):
    order_line_id: int
    sku: str
    quantity: int


class ShipmentDetail(ShipmentListItem):
    service: str
    origin_warehouse_id: int | None
    label_created_at: datetime | None
    last_polled_at: datetime | None
    next_poll_at: datetime | None
    package_count: int
    weight: Decimal | None
    items: list[ItemOut]
    events: list[EventOut]
    proof_of_delivery: PodOut | None
    exceptions: list[ExceptionOut]

    @classmethod
    def build(cls, s: Shipment) -> ShipmentDetail:
        pod = getattr(s, "proof_of_delivery", None)
        exceptions = list(s.exceptions.all())
        return cls(
            **cls.fields_of(s) | {"open_exceptions": sum(1 for e in exceptions if e.resolved_at is None)},
            service=s.service,
            origin_warehouse_id=s.origin_warehouse_id,
            label_created_at=s.label_created_at,
            last_polled_at=s.last_polled_at,
            next_poll_at=s.next_poll_at,
            package_count=s.package_count,
            weight=s.weight,
            items=[
                ItemOut(order_line_id=i.order_line_id, sku=i.order_line.sku, quantity=i.quantity)
                for i in s.items.all()
            ],
            events=[EventOut.build(e) for e in s.recent_events],  # type: ignore[attr-defined]
            proof_of_delivery=PodOut.build(pod) if pod is not None else None,
            exceptions=[ExceptionOut.build(e, with_shipment=False) for e in exceptions],
        )


class IngestOut(Schema):
    shipment_id: int
    created: int
    duplicates: int
    status: str
    exceptions_opened: list[int]
    exceptions_resolved: list[int]
