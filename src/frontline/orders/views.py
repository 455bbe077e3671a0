"""Staff pages of orders: the Order Status Tracker, the order page (holds, cancellation) and
the customer's orders fragment of the customer 360 page.

One code path per page for the full page and its HTMX fragment (chosen by ``HX-Target``).
Reads go through the selectors, writes through the services; a ``DomainError`` becomes a form
error with status 422. ORDER_VIEW reads, ORDER_CHANGE writes; portal customers get 403.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from frontline.accounts import roles
from frontline.core.access import require_permissions
from frontline.core.errors import DomainError, NotFound
from frontline.core.forms import add_domain_error
from frontline.core.htmx import htmx_redirect, wants_fragment

from . import selectors, services
from .forms import CancelForm, HoldForm, ReleaseForm, TrackerForm
from .models import Order
from .status import status_sentence

UNPROCESSABLE = 422
CUSTOMER_ORDERS = 8


def staff_required(*permissions: str) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Signed in (else the login page), staff (roles.WORKSPACE) and ``permissions`` (else 403)."""
    return require_permissions(roles.WORKSPACE, *permissions)


def shipments_url(order_id: int) -> str:
    """The shipping app's fragment of the order's shipments (``shipping:order_shipments``).

    A plain path: orders may not import shipping, and the page must render without it."""
    return f"/shipping/order/{order_id}/shipments/"


def _order(request: HttpRequest, pk: int) -> Order:
    try:
        return selectors.order_get_for_user(user=request.user, pk=pk)
    except NotFound:
        raise Http404(_("Order not found.")) from None


# --- the tracker ----------------------------------------------------------------------------


@require_GET
@staff_required(roles.ORDER_VIEW)
def tracker(request: HttpRequest) -> HttpResponse:
    """Find an order by number, email, phone or customer name, as you type."""
    form = TrackerForm(request.GET)
    query = form.cleaned_data["q"].strip() if form.is_valid() else ""
    matches = selectors.order_lookup(user=request.user, query=query) if query else []
    context = {
        "form": form,
        "query": query,
        "matches": matches,
        "searched": len(query) >= selectors.MIN_QUERY,
        "limit": selectors.LOOKUP_LIMIT,
    }
    if wants_fragment(request, "order-results"):
        return render(request, "orders/partials/_tracker_results.html", context)
    return render(request, "orders/tracker.html", context)


# --- the order page -------------------------------------------------------------------------


def _detail_context(
    request: HttpRequest,
    order: Order,
    *,
    hold_form: HoldForm | None = None,
    cancel_form: CancelForm | None = None,
    holds_error: str = "",
) -> dict[str, Any]:
    lines = list(order.lines.all())
    holds = list(order.holds.all())
    history = list(order.status_changes.all())
    can_change = request.user.has_perm(roles.ORDER_CHANGE)
    return {
        "order": order,
        "lines": lines,
        "holds": holds,
        "active_holds": [h for h in holds if h.is_active],
        "history": history,
        "sentence": status_sentence(order, lines=lines, holds=holds, history=history),
        "can_change": can_change,
        "can_hold": can_change and order.can_hold(),
        "can_cancel": can_change and order.can_cancel(),
        "hold_form": hold_form or HoldForm(lines=lines),
        "release_form": ReleaseForm(),
        "cancel_form": cancel_form or CancelForm(),
        "holds_error": holds_error,
        "shipments_url": shipments_url(order.pk),
        "can_view_customer": request.user.has_perm(roles.CUSTOMER_VIEW),
    }


@require_GET
@staff_required(roles.ORDER_VIEW)
def order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    order = _order(request, pk)
    context = _detail_context(request, order)
    if wants_fragment(request, "order-holds"):
        return render(request, "orders/partials/_holds.html", context)
    return render(request, "orders/order_detail.html", context)


def _refused(request: HttpRequest, pk: int, **forms: Any) -> HttpResponse:
    """The page (or its holds section, for HTMX) again, with the refusal shown: 422."""
    context = _detail_context(request, _order(request, pk), **forms)
    if wants_fragment(request, "order-holds"):
        return render(request, "orders/partials/_holds.html", context, status=UNPROCESSABLE)
    return render(request, "orders/order_detail.html", context, status=UNPROCESSABLE)


@require_POST
@staff_required(roles.ORDER_VIEW, roles.ORDER_CHANGE)
def hold_place(request: HttpRequest, pk: int) -> HttpResponse:
    order = _order(request, pk)
    form = HoldForm(request.POST, lines=order.lines.all())
    if form.is_valid():
        try:
            services.order_hold_place(order_id=order.pk, by=request.user, **form.service_kwargs())
        except DomainError as error:
            add_domain_error(form, error, aliases={"line_id": "line", "order": "__all__"})
        else:
            messages.success(request, _("Order %(number)s is on hold.") % {"number": order.number})
            return htmx_redirect(request, order.get_absolute_url())
    return _refused(request, pk, hold_form=form)


@require_POST
@staff_required(roles.ORDER_VIEW, roles.ORDER_CHANGE)
def hold_release(request: HttpRequest, pk: int, hold_pk: int) -> HttpResponse:
    order = _order(request, pk)
    if not any(h.pk == hold_pk for h in order.holds.all()):
        raise Http404(_("Hold not found."))
    form = ReleaseForm(request.POST)
    if not form.is_valid():
        return _refused(request, pk, holds_error=" ".join(e for errs in form.errors.values() for e in errs))
    try:
        services.order_hold_release(hold_id=hold_pk, by=request.user, note=form.cleaned_data["note"])
    except DomainError as error:
        return _refused(request, pk, holds_error=error.message)
    messages.success(request, _("Hold released."))
    return htmx_redirect(request, order.get_absolute_url())


@require_POST
@staff_required(roles.ORDER_VIEW, roles.ORDER_CHANGE)
def order_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    order = _order(request, pk)
    form = CancelForm(request.POST)
    if form.is_valid():
        try:
            services.order_cancel(order_id=order.pk, by=request.user, reason=form.cleaned_data["reason"])
        except DomainError as error:
            add_domain_error(form, error, aliases={"order": "__all__"})
        else:
            messages.success(request, _("Order %(number)s was cancelled.") % {"number": order.number})
            return htmx_redirect(request, order.get_absolute_url())
    return _refused(request, pk, cancel_form=form)


# --- the customer 360 fragment --------------------------------------------------------------


@require_GET
@staff_required(roles.ORDER_VIEW)
def customer_orders(request: HttpRequest, customer_id: int) -> HttpResponse:
    """The customer's newest orders, for the customer 360 page (loaded into it by HTMX)."""
    found = selectors.orders_for_customer(user=request.user, customer_id=customer_id, limit=CUSTOMER_ORDERS)
    context = {"customer_id": customer_id, "found": found, "rows": found.rows}
    return render(request, "orders/partials/_customer_orders.html", context)
