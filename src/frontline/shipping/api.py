"""The shipping REST API (mounted under /api/v1/shipping by frontline.config.api).

Thin: schemas check shape, selectors read, services write. SHIPMENT_VIEW reads,
SHIPMENT_CHANGE creates shipments and records manual events, EXCEPTION_WORK assigns,
acknowledges, resolves and records customer contact. Portal customers get 403.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.params import functions as param
from ninja.responses import Status

from frontline.accounts import roles
from frontline.core.api import MAX_ID, MAX_OFFSET, page_links, require_perm, responses
from frontline.core.errors import NotFound

from . import selectors, services
from .choices import ExceptionKind, ExceptionStatus, IncidentReason, ShipmentStatus
from .models import Carrier
from .schemas import (
    AssignIn,
    CarrierOut,
    ContactedIn,
    EventIn,
    ExceptionOut,
    ExceptionPage,
    IngestOut,
    ResolveIn,
    ShipmentCreateIn,
    ShipmentDetail,
    ShipmentListItem,
    ShipmentPage,
)

router = Router(tags=["shipping"])

ShipmentId = param.Path(..., ge=1, le=MAX_ID, description="The shipment's id.")
ExceptionId = param.Path(..., ge=1, le=MAX_ID, description="The delivery exception's id.")


def _user(request: HttpRequest, perm: str) -> Any:
    return require_perm(request.auth, perm)  # type: ignore[attr-defined]


# --- shipments ---------------------------------------------------------------------------------


class ShipmentListParams(Schema):
    carrier: str = Field("", max_length=40, description="Carrier code.")
    status: ShipmentStatus | None = None
    order_id: int | None = Field(None, ge=1, le=MAX_ID)
    order_number: str = Field("", max_length=40)
    tracking_number: str = Field("", max_length=64)
    active: bool | None = Field(None, description="Still tracked (not delivered, returned or cancelled).")
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


@router.get("/shipments", response=responses(200, ShipmentPage), url_name="shipment_list")
def shipment_list(request: HttpRequest, params: Query[ShipmentListParams]) -> dict[str, Any]:
    """Shipments, newest first, one page at a time."""
    _user(request, roles.SHIPMENT_VIEW)
    filters = selectors.ShipmentFilters(
        carrier=params.carrier,
        status=params.status.value if params.status else "",
        order_id=params.order_id,
        order_number=params.order_number,
        tracking_number=params.tracking_number,
        active=params.active,
    )
    page = selectors.shipment_list(filters=filters, offset=params.offset, limit=params.limit)
    next_url, previous_url = page_links(request, offset=params.offset, limit=params.limit, count=page.total)
    return {
        "count": page.total,
        "next": next_url,
        "previous": previous_url,
        "results": [ShipmentListItem.build(s) for s in page.items],
    }


@router.get(
    "/shipments/{int:shipment_id}", response=responses(200, ShipmentDetail), url_name="shipment_detail"
)
def shipment_detail(request: HttpRequest, shipment_id: int = ShipmentId) -> ShipmentDetail:
    """A shipment with its newest 200 events (raw carrier code and text beside our status),
    proof of delivery, items and exceptions."""
    _user(request, roles.SHIPMENT_VIEW)
    return ShipmentDetail.build(selectors.shipment_get_detail(pk=shipment_id))


@router.post("/shipments", response=responses(201, ShipmentDetail), url_name="shipment_create")
def shipment_create(request: HttpRequest, payload: ShipmentCreateIn) -> Status[ShipmentDetail]:
    user = _user(request, roles.SHIPMENT_CHANGE)
    carrier = Carrier.objects.filter(code=payload.carrier).first()
    if carrier is None:
        raise NotFound(_("No carrier %(code)r.") % {"code": payload.carrier}, field="carrier")
    shipment = services.shipment_create(
        by=user,
        data=services.ShipmentInput(
            carrier_id=carrier.pk,
            tracking_number=payload.tracking_number,
            order_id=payload.order_id,
            origin_warehouse_id=payload.origin_warehouse_id,
            account_id=payload.account_id,
            service=payload.service,
            direction=payload.direction.value,
            promised_date=payload.promised_date,
            current_edd=payload.estimated_delivery,
            package_count=payload.package_count,
            weight=payload.weight,
            items=[
                services.ItemInput(order_line_id=i.order_line_id, quantity=i.quantity) for i in payload.items
            ],
        ),
    )
    return Status(201, ShipmentDetail.build(selectors.shipment_get_detail(pk=shipment.pk)))


@router.post("/shipments/{int:shipment_id}/events", response=responses(201, IngestOut), url_name="event_add")
def event_add(
    request: HttpRequest, payload: EventIn, shipment_id: int = ShipmentId
) -> Status[dict[str, Any]]:
    """Record an event by hand (what the carrier said on the phone). Idempotent like every
    source: the same event twice is stored once (``created`` 0)."""
    user = _user(request, roles.SHIPMENT_CHANGE)
    result = services.tracking_event_add_manual(
        shipment_id=shipment_id,
        by=user,
        occurred_at=payload.occurred_at,
        status=payload.status.value,
        description=payload.description,
        location=payload.location,
        reason=payload.reason.value if payload.reason else "",
    )
    return Status(201, result.as_dict())


@router.get("/carriers", response=responses(200, list[CarrierOut]), url_name="carrier_list")
def carrier_list(request: HttpRequest) -> list[CarrierOut]:
    _user(request, roles.SHIPMENT_VIEW)
    return [CarrierOut.build(c) for c in Carrier.objects.order_by("name")]


# --- exceptions --------------------------------------------------------------------------------


class ExceptionListParams(Schema):
    open: bool | None = Field(
        True, description="true: unresolved (default); false: resolved; omit with all=true."
    )
    all: bool = Field(False, description="Ignore `open`: every exception.")
    status: ExceptionStatus | None = None
    carrier: str = Field("", max_length=40)
    kind: ExceptionKind | None = None
    reason: IncidentReason | None = None
    warehouse_id: int | None = Field(None, ge=1, le=MAX_ID)
    assigned_to_id: int | None = Field(None, ge=1, le=MAX_ID)
    unassigned: bool = False
    shipment_id: int | None = Field(None, ge=1, le=MAX_ID)
    order_id: int | None = Field(None, ge=1, le=MAX_ID)
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


@router.get("/exceptions", response=responses(200, ExceptionPage), url_name="exception_list")
def exception_list(request: HttpRequest, params: Query[ExceptionListParams]) -> dict[str, Any]:
    """Delivery exceptions, highest impact first."""
    _user(request, roles.SHIPMENT_VIEW)
    filters = selectors.ExceptionFilters(
        open=None if params.all else params.open,
        status=params.status.value if params.status else "",
        carrier=params.carrier,
        kind=params.kind.value if params.kind else "",
        reason=params.reason.value if params.reason else "",
        warehouse_id=params.warehouse_id,
        assigned_to_id=params.assigned_to_id,
        unassigned=params.unassigned,
        shipment_id=params.shipment_id,
        order_id=params.order_id,
    )
    page = selectors.exception_list(filters=filters, offset=params.offset, limit=params.limit)
    next_url, previous_url = page_links(request, offset=params.offset, limit=params.limit, count=page.total)
    return {
        "count": page.total,
        "next": next_url,
        "previous": previous_url,
        "results": [ExceptionOut.build(e) for e in page.items],
    }


@router.get(
    "/exceptions/{int:exception_id}", response=responses(200, ExceptionOut), url_name="exception_detail"
)
def exception_detail(request: HttpRequest, exception_id: int = ExceptionId) -> ExceptionOut:
    _user(request, roles.SHIPMENT_VIEW)
    return ExceptionOut.build(selectors.exception_get(pk=exception_id))


def _exception_out(exception_id: int) -> ExceptionOut:
    return ExceptionOut.build(selectors.exception_get(pk=exception_id))


@router.post(
    "/exceptions/{int:exception_id}/assign",
    response=responses(200, ExceptionOut),
    url_name="exception_assign",
)
def exception_assign(
    request: HttpRequest, payload: AssignIn, exception_id: int = ExceptionId
) -> ExceptionOut:
    user = _user(request, roles.EXCEPTION_WORK)
    services.exception_assign(exception_id=exception_id, by=user, assignee_id=payload.assignee_id)
    return _exception_out(exception_id)


@router.post(
    "/exceptions/{int:exception_id}/acknowledge",
    response=responses(200, ExceptionOut),
    url_name="exception_acknowledge",
)
def exception_acknowledge(request: HttpRequest, exception_id: int = ExceptionId) -> ExceptionOut:
    user = _user(request, roles.EXCEPTION_WORK)
    services.exception_acknowledge(exception_id=exception_id, by=user)
    return _exception_out(exception_id)


@router.post(
    "/exceptions/{int:exception_id}/resolve",
    response=responses(200, ExceptionOut),
    url_name="exception_resolve",
)
def exception_resolve(
    request: HttpRequest, payload: ResolveIn, exception_id: int = ExceptionId
) -> ExceptionOut:
    """Resolve with an outcome: reship, refund, address_fix, wait, carrier_claim or other (with a note)."""
    user = _user(request, roles.EXCEPTION_WORK)
    services.exception_resolve(
        exception_id=exception_id, by=user, resolution=payload.resolution, note=payload.note
    )
    return _exception_out(exception_id)


@router.post(
    "/exceptions/{int:exception_id}/contacted",
    response=responses(200, ExceptionOut),
    url_name="exception_contacted",
)
def exception_contacted(
    request: HttpRequest, payload: ContactedIn, exception_id: int = ExceptionId
) -> ExceptionOut:
    """Record contact with the customer about it; the first decides "caught proactively"."""
    user = _user(request, roles.EXCEPTION_WORK)
    services.exception_mark_customer_contacted(
        exception_id=exception_id, by=user, proactive=payload.proactive
    )
    return _exception_out(exception_id)
