"""The case page's "Orders" panel: the order the case is about, read out, and the customer's others.

Loaded into the case page's side column by HTMX after the page (``hx-trigger="load"``), so the
case page itself runs no order query. The case's order is the one named in its ``order_number``
field, when that order belongs to the case's customer; the agent sees its plain-language status
(what to tell the customer, shipments included) and links to the order and the tracker.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from frontline.accounts import roles
from frontline.core.access import require_permissions
from frontline.orders.models import Order
from frontline.orders.selectors import CustomerOrders, order_detail_queryset, orders_for_customer

from . import selectors
from .proactive import ORDER_FIELD, order_sentence_of

#: How many of the customer's newest orders the panel lists.
RECENT_ORDERS = 5


@dataclass(frozen=True)
class CaseOrders:
    reference: str
    order: Order | None  # the order the case is about
    sentence: str
    recent: CustomerOrders


def case_orders(*, user: object, reference: str) -> CaseOrders:
    """The panel's data: 3 queries, plus the order and its sentence's 6 when the case names one."""
    row = (
        selectors.cases_visible_to(user)
        .filter(reference=reference)
        .values("customer_id", "custom_fields")
        .first()
    )
    if row is None:
        raise Http404(_("Case not found."))
    number = str((row["custom_fields"] or {}).get(ORDER_FIELD) or "").strip()
    order = None
    if number:
        order = order_detail_queryset(
            Order.objects.filter(number=number, customer_id=row["customer_id"])
        ).first()
    return CaseOrders(
        reference=reference,
        order=order,
        sentence=order_sentence_of(order) if order is not None else "",
        recent=orders_for_customer(user=user, customer_id=row["customer_id"], limit=RECENT_ORDERS),
    )


@require_GET
@require_permissions(roles.WORKSPACE, roles.CASE_VIEW, roles.ORDER_VIEW)
def case_orders_panel(request: HttpRequest, reference: str) -> HttpResponse:
    panel = case_orders(user=request.user, reference=reference)
    return render(request, "cases/partials/_case_orders.html", {"panel": panel})
