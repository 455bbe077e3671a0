"""Staff pages for stock: Live Stock Levels (search, availability, promises), inbound restocks,
stock adjustments.

One code path per view for the full page and its HTMX fragments (chosen by ``HX-Target``).
Reading needs ``STOCK_VIEW``, writing ``STOCK_CHANGE`` (portal customers get 403). Reads go
through selectors, writes through services; a ``DomainError`` becomes a form error (422).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from frontline.accounts import roles
from frontline.core.access import require_permissions
from frontline.core.errors import DomainError, NotFound
from frontline.core.forms import add_domain_error
from frontline.core.htmx import htmx_redirect, wants_fragment
from frontline.core.pagination import paginate

from . import selectors, services
from .choices import OPEN_INBOUND
from .forms import AdjustForm, InboundFilterForm, ReceiveForm, RescheduleForm, StockSearchForm
from .models import InboundShipment

UNPROCESSABLE = 422
RESULTS = 20
INBOUND_PAGE = 50

View = Callable[..., HttpResponse]
can_view = require_permissions(roles.WORKSPACE, roles.STOCK_VIEW)
can_change = require_permissions(roles.WORKSPACE, roles.STOCK_VIEW, roles.STOCK_CHANGE)


def _stock_url(product_id: int, q: str = "") -> str:
    query: dict[str, str | int] = {"product": product_id}
    if q:
        query["q"] = q
    return f"{reverse('catalog:stock_levels')}?{urlencode(query)}"


# --- Live Stock Levels --------------------------------------------------------------------------


@require_GET
@can_view
def stock_levels(request: HttpRequest) -> HttpResponse:
    """Search as you type; results with availability; the chosen product's detail panel.

    Fragments: ``stock-results`` (the results table) and ``stock-detail`` (the panel, also
    reloaded live when the product's stock changes)."""
    form = StockSearchForm(request.GET)
    form.is_valid()
    data = getattr(form, "cleaned_data", {})
    query = str(data.get("q") or "")
    country = str(data.get("country") or "")
    product_id = data.get("product")
    now = timezone.now()
    context: dict[str, Any] = {"form": form, "query": query, "country": country, "now": now}

    want_results = not wants_fragment(request, "stock-detail")
    want_detail = not wants_fragment(request, "stock-results")
    if want_results:
        products = selectors.product_search(query=query, limit=RESULTS) if query else []
        found = selectors.availability_for_products(products=products, now=now, country=country)
        context["results"] = [found[p.pk] for p in products]
    if want_detail and product_id:
        try:
            context["detail"] = selectors.product_detail(product_id=product_id, now=now, country=country)
        except NotFound:
            raise Http404(_("Product not found.")) from None
        context["can_change"] = request.user.has_perm(roles.STOCK_CHANGE)
    if wants_fragment(request, "stock-results"):
        return render(request, "catalog/partials/_stock_results.html", context)
    if wants_fragment(request, "stock-detail"):
        return render(request, "catalog/partials/_product_detail.html", context)
    return render(request, "catalog/stock_levels.html", context)


@require_http_methods(["GET", "POST"])
@can_change
def stock_adjust(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        product = selectors.product_get(product_id=pk)
    except NotFound:
        raise Http404(_("Product not found.")) from None
    form = AdjustForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.stock_adjust(
                    product_id=product.pk,
                    warehouse_id=form.cleaned_data["warehouse"].pk,
                    delta=form.cleaned_data["delta"],
                    note=form.cleaned_data["note"],
                    by=request.user,
                )
            except DomainError as exc:
                add_domain_error(form, exc, {"warehouse_id": "warehouse"})
            else:
                messages.success(request, _("Stock of %(sku)s adjusted.") % {"sku": product.sku})
                return htmx_redirect(request, _stock_url(product.pk))
        status = UNPROCESSABLE
    return render(request, "catalog/stock_adjust.html", {"product": product, "form": form}, status=status)


# --- inbound --------------------------------------------------------------------------------------


@require_GET
@can_view
def inbound_list(request: HttpRequest) -> HttpResponse:
    form = InboundFilterForm(request.GET)
    status = form.cleaned_data["status"] if form.is_valid() else ""
    try:
        offset = max(int(request.GET.get("offset", "0")), 0)
    except ValueError:
        offset = 0
    page = selectors.inbound_list(
        status="" if status in ("", "any") else status,
        open_only=status == "",
        offset=min(offset, 1_000_000),
        limit=INBOUND_PAGE,
    )
    pagination = paginate(
        request.GET, offset=offset, limit=INBOUND_PAGE, total=page.total, shown=len(page.shipments)
    )
    context = {"form": form, "page": page, "pagination": pagination, "today": timezone.localdate()}
    if wants_fragment(request, "inbound-results"):
        return render(request, "catalog/partials/_inbound_results.html", context)
    return render(request, "catalog/inbound_list.html", context)


def _inbound(pk: int) -> InboundShipment:
    try:
        return selectors.inbound_get(inbound_id=pk)
    except NotFound:
        raise Http404(_("Inbound shipment not found.")) from None


def _inbound_page(
    request: HttpRequest,
    inbound: InboundShipment,
    *,
    receive_form: ReceiveForm | None = None,
    reschedule_form: RescheduleForm | None = None,
    status: int = 200,
) -> HttpResponse:
    can_change = request.user.has_perm(roles.STOCK_CHANGE)
    context = {
        "inbound": inbound,
        "can_change": can_change,
        "receive_form": receive_form or ReceiveForm(inbound=inbound),
        "reschedule_form": reschedule_form
        or RescheduleForm(initial={"expected_date": inbound.expected_date}),
        "is_open": inbound.status in OPEN_INBOUND,
    }
    return render(request, "catalog/inbound_detail.html", context, status=status)


@require_GET
@can_view
def inbound_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _inbound_page(request, _inbound(pk))


@require_POST
@can_change
def inbound_receive(request: HttpRequest, pk: int) -> HttpResponse:
    inbound = _inbound(pk)
    form = ReceiveForm(request.POST, inbound=inbound)
    if form.is_valid():
        try:
            services.inbound_receive(
                inbound_id=inbound.pk,
                quantities=form.quantities(),
                note=form.cleaned_data["note"],
                by=request.user,
            )
        except DomainError as exc:
            aliases = {f"quantities[{line.pk}]": f"line_{line.pk}" for line in form.lines}
            add_domain_error(form, exc, aliases)
        else:
            messages.success(request, _("%(reference)s received.") % {"reference": inbound.reference})
            return htmx_redirect(request, reverse("catalog:inbound_detail", args=[inbound.pk]))
    return _inbound_page(request, inbound, receive_form=form, status=UNPROCESSABLE)


@require_POST
@can_change
def inbound_reschedule(request: HttpRequest, pk: int) -> HttpResponse:
    inbound = _inbound(pk)
    form = RescheduleForm(request.POST)
    if form.is_valid():
        try:
            services.inbound_reschedule(
                inbound_id=inbound.pk,
                expected_date=form.cleaned_data["expected_date"],
                note=form.cleaned_data["note"],
                by=request.user,
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(
                request, _("Expected date of %(reference)s changed.") % {"reference": inbound.reference}
            )
            return htmx_redirect(request, reverse("catalog:inbound_detail", args=[inbound.pk]))
    return _inbound_page(request, inbound, reschedule_form=form, status=UNPROCESSABLE)
