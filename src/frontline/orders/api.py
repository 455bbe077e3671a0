"""The orders REST API (mounted under /api/v1/orders by frontline.config.api).

Thin: the schemas check shape, the selectors read, the services write. ORDER_VIEW reads,
ORDER_CHANGE creates, holds, releases and cancels; anyone else gets 403.
"""

from __future__ import annotations

from datetime import date
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
from .choices import OrderStatus
from .schemas import (
    CancelIn,
    HoldIn,
    OrderCreateIn,
    OrderDetail,
    OrderListItem,
    OrderMatchOut,
    OrderPage,
    ReleaseIn,
)

router = Router(tags=["orders"])

OrderId = param.Path(..., ge=1, le=MAX_ID, description="The order's id.")


def _user(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


def _detail(user: Any, order_id: int) -> OrderDetail:
    return OrderDetail.build(selectors.order_get_for_user(user=user, pk=order_id))


class OrderListParams(Schema):
    status: OrderStatus | None = None
    customer_id: int | None = Field(None, ge=1, le=MAX_ID)
    placed_from: date | None = Field(None, description="First day (inclusive), local time.")
    placed_to: date | None = Field(None, description="Last day (inclusive), local time.")
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


@router.get("/", response=responses(200, OrderPage), url_name="order_list")
def order_list(request: HttpRequest, params: Query[OrderListParams]) -> dict[str, Any]:
    """Orders, newest first, one page at a time."""
    user = require_perm(_user(request), roles.ORDER_VIEW)
    filters = selectors.OrderFilters(
        status=params.status.value if params.status else "",
        customer_id=params.customer_id,
        placed_from=params.placed_from,
        placed_to=params.placed_to,
    )
    page = selectors.order_list_for_user(user=user, filters=filters, offset=params.offset, limit=params.limit)
    next_url, previous_url = page_links(request, offset=params.offset, limit=params.limit, count=page.total)
    return {
        "count": page.total,
        "capped": page.capped,
        "next": next_url,
        "previous": previous_url,
        "results": [OrderListItem.build(order) for order in page.orders],
    }


class LookupParams(Schema):
    q: str = Field(
        ...,
        min_length=2,
        max_length=100,
        description="An order number (exact or its beginning), an email, a phone number or a customer name.",
    )


@router.get("/lookup", response=responses(200, list[OrderMatchOut]), url_name="order_lookup")
def order_lookup(request: HttpRequest, params: Query[LookupParams]) -> list[OrderMatchOut]:
    """The Order Status Tracker: up to 20 orders, exact number matches first."""
    user = require_perm(_user(request), roles.ORDER_VIEW)
    return [OrderMatchOut.from_match(match) for match in selectors.order_lookup(user=user, query=params.q)]


@router.get("/{int:order_id}", response=responses(200, OrderDetail), url_name="order_detail")
def order_detail(request: HttpRequest, order_id: int = OrderId) -> OrderDetail:
    """The order with its lines, holds, status history and the status sentence."""
    user = require_perm(_user(request), roles.ORDER_VIEW)
    return _detail(user, order_id)


@router.post("/", response=responses(201, OrderDetail), url_name="order_create")
def order_create(request: HttpRequest, payload: OrderCreateIn) -> Status[OrderDetail]:
    """A new order with its lines; totals are computed."""
    user = require_perm(_user(request), roles.ORDER_CHANGE)
    order = services.order_create(by=user, data=payload.to_input())
    return Status(201, _detail(user, order.pk))


@router.post("/{int:order_id}/holds", response=responses(201, OrderDetail), url_name="order_hold_place")
def order_hold_place(request: HttpRequest, payload: HoldIn, order_id: int = OrderId) -> Status[OrderDetail]:
    """Put the order on hold (out of stock: pass the awaited restock and its date)."""
    user = require_perm(_user(request), roles.ORDER_CHANGE)
    selectors.order_get_for_user(user=user, pk=order_id)
    services.order_hold_place(
        order_id=order_id,
        by=user,
        reason=payload.reason.value,
        note=payload.note,
        expected_release_date=payload.expected_release_date,
        line_id=payload.line_id,
        inbound_id=payload.inbound_id,
        inbound_reference=payload.inbound_reference,
    )
    return Status(201, _detail(user, order_id))


@router.post(
    "/{int:order_id}/holds/{int:hold_id}/release",
    response=responses(200, OrderDetail),
    url_name="order_hold_release",
)
def order_hold_release(
    request: HttpRequest,
    payload: ReleaseIn,
    order_id: int = OrderId,
    hold_id: int = param.Path(..., ge=1, le=MAX_ID),
) -> OrderDetail:
    """Release a hold; after the last one the order goes back to its status before."""
    user = require_perm(_user(request), roles.ORDER_CHANGE)
    order = selectors.order_get_for_user(user=user, pk=order_id)
    if not any(hold.pk == hold_id for hold in order.holds.all()):
        raise NotFound(_("This order has no hold %(id)s.") % {"id": hold_id}, field="hold_id")
    services.order_hold_release(hold_id=hold_id, by=user, note=payload.note)
    return _detail(user, order_id)


@router.post("/{int:order_id}/cancel", response=responses(200, OrderDetail), url_name="order_cancel")
def order_cancel(request: HttpRequest, payload: CancelIn, order_id: int = OrderId) -> OrderDetail:
    """Cancel an order nothing of which has shipped."""
    user = require_perm(_user(request), roles.ORDER_CHANGE)
    selectors.order_get_for_user(user=user, pk=order_id)
    services.order_cancel(order_id=order_id, by=user, reason=payload.reason)
    return _detail(user, order_id)
