"""The public tracking page at /track/ (no sign-in): a form, a result, a tracking link.

Nothing personal is shown without proof (order number plus the order's email or delivery postal
code, or a shipment's tracking link), and a wrong pair gets the same answer whether the order
exists or not. Failed look-ups count against the client address with the sign-in lockout
counters (``accounts.lockout``): once locked, the page answers 429 until the lock expires.
"""

from __future__ import annotations

import hashlib

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from frontline.accounts import lockout
from frontline.core.request_context import client_ip
from frontline.orders.models import Order

from . import tracking
from .forms import TrackForm

NOT_FOUND = 404
UNPROCESSABLE = 422
TOO_MANY_REQUESTS = 429
ACTION = "portal-track"


def _ident(request: HttpRequest) -> str:
    return hashlib.sha256((client_ip(request) or "unknown").encode()).hexdigest()[:32]


def _limited(request: HttpRequest, state: lockout.LockState) -> HttpResponse:
    response = render(
        request,
        "portal/track_limited.html",
        {"retry_minutes": state.retry_after_minutes},
        status=TOO_MANY_REQUESTS,
    )
    response["Retry-After"] = str(max(1, state.retry_after))
    return response


def _not_found(request: HttpRequest, form: TrackForm) -> HttpResponse:
    state = lockout.action_failed(action=ACTION, ident=_ident(request))
    if state.locked:
        return _limited(request, state)
    message = _(
        "We could not find an order with these details. Check the order number and the email address or postal code, and try again."
    )
    return render(request, "portal/track_form.html", {"form": form, "not_found": message}, status=NOT_FOUND)


def _result(request: HttpRequest, order: Order) -> HttpResponse:
    return render(request, "portal/track_result.html", {"tracking": tracking.tracking_for_order(order)})


@never_cache
@require_http_methods(["GET", "POST"])
def track(request: HttpRequest) -> HttpResponse:
    state = lockout.action_check(action=ACTION, ident=_ident(request))
    if state.locked:
        return _limited(request, state)
    if request.method == "GET":
        return render(request, "portal/track_form.html", {"form": TrackForm()})
    form = TrackForm(request.POST)
    if not form.is_valid():
        return render(request, "portal/track_form.html", {"form": form}, status=UNPROCESSABLE)
    order = tracking.order_for_proof(number=form.cleaned_data["number"], proof=form.cleaned_data["proof"])
    if order is None:
        return _not_found(request, TrackForm(initial={"number": form.cleaned_data["number"]}))
    return _result(request, order)


@never_cache
@require_GET
def track_link(request: HttpRequest, token: str) -> HttpResponse:
    state = lockout.action_check(action=ACTION, ident=_ident(request))
    if state.locked:
        return _limited(request, state)
    order = tracking.order_for_link(token=token)
    if order is None:
        return _not_found(request, TrackForm())
    return _result(request, order)
