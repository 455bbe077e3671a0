"""Staff pages of the shipping app (shipment search and detail, an order's shipments as an
HTMX fragment, carriers) and the signed tracking webhook.

Reads go through selectors (fixed query counts), writes through services. Every staff view
needs the workspace and SHIPMENT_VIEW (portal customers get 403, anonymous users the login).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from frontline.accounts import roles
from frontline.core.access import require_permissions
from frontline.core.errors import NotFound

from . import selectors, webhooks
from .choices import ShipmentStatus
from .models import Carrier

PAGE_SIZE = 50


def _staff(*permissions: str) -> Any:
    return require_permissions(roles.WORKSPACE, roles.SHIPMENT_VIEW, *permissions)


@require_GET
@_staff()
def shipment_list(request: HttpRequest) -> HttpResponse:
    """Find a shipment by tracking number or order number; filter by carrier and status."""
    query = request.GET.get("q", "").strip()[:64]
    carrier = request.GET.get("carrier", "")[:40]
    status = request.GET.get("status", "")
    if status not in ShipmentStatus.values:
        status = ""
    filters = selectors.ShipmentFilters(carrier=carrier, status=status)
    if query:
        if query.upper().startswith(("SO-", "#")) or not any(ch.isdigit() for ch in query[2:]):
            filters.order_number = query.lstrip("#")
        else:
            filters.tracking_number = query
    try:
        page_number = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        page_number = 1
    page = selectors.shipment_list(filters=filters, offset=(page_number - 1) * PAGE_SIZE, limit=PAGE_SIZE)
    if not page.items and filters.order_number and query:
        # Not an order number after all: try it as a tracking number.
        filters.order_number, filters.tracking_number = "", query
        page = selectors.shipment_list(filters=filters, offset=0, limit=PAGE_SIZE)
    context = {
        "shipments": page.items,
        "total": page.total,
        "page_number": page_number,
        "has_next": page_number * PAGE_SIZE < page.total,
        "q": query,
        "carrier": carrier,
        "status": status,
        "carriers": Carrier.objects.order_by("name").values_list("code", "name"),
        "statuses": ShipmentStatus.choices,
    }
    return render(request, "shipping/shipment_list.html", context)


@require_GET
@_staff()
def shipment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        shipment = selectors.shipment_get_detail(pk=pk)
    except NotFound:
        raise Http404(_("Shipment not found.")) from None
    pod = getattr(shipment, "proof_of_delivery", None)
    exceptions = list(shipment.exceptions.all())
    context = {
        "shipment": shipment,
        "events": shipment.recent_events,  # type: ignore[attr-defined]
        "pod": pod,
        "items": list(shipment.items.all()),
        "open_exceptions": [e for e in exceptions if e.resolved_at is None],
        "closed_exceptions": [e for e in exceptions if e.resolved_at is not None],
        "edd_gap": shipment.edd_vs_promise_days,
    }
    return render(request, "shipping/shipment_detail.html", context)


@require_GET
@_staff()
def order_shipments(request: HttpRequest, order_id: int) -> HttpResponse:
    """The order page's shipments panel (loaded with HTMX; also a page of its own)."""
    shipments = selectors.shipments_for_order(order_id=order_id)
    return render(
        request, "shipping/partials/_order_shipments.html", {"shipments": shipments, "order_id": order_id}
    )


@require_GET
@_staff()
def carrier_list(request: HttpRequest) -> HttpResponse:
    return render(request, "shipping/carrier_list.html", {"carriers": selectors.carrier_list()})


@csrf_exempt  # signed with HMAC instead: the only CSRF-exempt view of the app
@require_POST
def tracking_webhook(request: HttpRequest, provider: str) -> JsonResponse:
    try:
        body = request.body
    except RequestDataTooBig:
        error = webhooks.WebhookError(413, "The body is too large.", field="body", code="too_large")
        return JsonResponse(error.body(), status=error.status)
    try:
        result = webhooks.handle(provider, body, request.headers)
    except webhooks.WebhookError as error:
        return JsonResponse(error.body(), status=error.status)
    return JsonResponse(result)
