"""Intake pages: the public "contact support" form and the agents' phone-call log.

Thin: forms check shape, ``services`` decide and write; a refusal becomes a form error with
status 422 and nothing written. One code path serves the call log page and its HTMX fragment
(the caller search results), chosen by ``HX-Target``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from frontline.cases.models import Case
from frontline.core.access import require_permissions
from frontline.core.errors import DomainError, NotFound
from frontline.core.forms import add_domain_error
from frontline.core.htmx import htmx_redirect, wants_fragment
from frontline.core.request_context import client_ip
from frontline.customers import selectors as customer_selectors
from frontline.customers.choices import Channel, ContactKind
from frontline.customers.models import Customer
from frontline.customers.normalize import normalize_phone

from . import selectors, services
from .forms import CallerSearchForm, CallForm, SupportForm
from .services import SenderInput

# Permission names (accounts.roles; inbox does not import accounts).
WORKSPACE = "workspace.use_workspace"
CASE_REPLY = "cases.reply_case"

UNPROCESSABLE = 422
TOO_MANY_REQUESTS = 429
THANKS_SALT = "inbox.support_thanks"
THANKS_MAX_AGE = 24 * 3600
DEFAULT_FORM_RATE_LIMIT = 5  # submissions per address...
DEFAULT_FORM_RATE_WINDOW = 3600  # ...per this many seconds

# Where a service names a field differently from the form.
SUPPORT_FIELDS = {
    "sender.email": "email",
    "sender.name": "name",
    "sender": "email",
    "body": "message",
    "subject": "subject",
    "attachments": "attachments",
}
CALL_FIELDS = {"duration_seconds": "duration"}


# --- the public support form ------------------------------------------------------------------


def _rate_limited(request: HttpRequest) -> bool:
    """Count this submission against the sender's address; True once over the limit.

    The counter lives in the cache (Redis when configured, so it holds across web nodes) and
    expires ``INBOX_FORM_RATE_WINDOW`` seconds after the first submission of a window."""
    limit = int(getattr(settings, "INBOX_FORM_RATE_LIMIT", DEFAULT_FORM_RATE_LIMIT))
    window = int(getattr(settings, "INBOX_FORM_RATE_WINDOW", DEFAULT_FORM_RATE_WINDOW))
    key = f"inbox:support-form:{client_ip(request) or 'unknown'}"
    cache.add(key, 0, timeout=window)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window)
        count = 1
    return count > limit


def _thanks_url(reference: str = "") -> str:
    url = reverse("inbox:support_thanks")
    if reference:
        url += "?" + urlencode({"r": signing.dumps(reference, salt=THANKS_SALT)})
    return url


@require_http_methods(["GET", "POST"])
def support_new(request: HttpRequest) -> HttpResponse:
    """Anyone may write to support (no account needed); the message opens a web case."""
    if request.method != "POST":
        return render(request, "inbox/support_new.html", {"form": SupportForm()})
    form = SupportForm(request.POST, request.FILES)
    if _rate_limited(request):
        form.add_error(None, _("Too many messages from your network. Please try again in an hour."))
        return render(request, "inbox/support_new.html", {"form": form}, status=TOO_MANY_REQUESTS)
    if form.is_spam():
        # A bot filled in the hidden field: answer as if all went well, write nothing.
        return HttpResponseRedirect(_thanks_url())
    if form.is_valid():
        data = form.cleaned_data
        try:
            result = services.message_receive(
                channel=Channel.WEB,
                sender=SenderInput(email=data["email"], name=data["name"]),
                subject=data["subject"],
                body=form.body(),
                external_id=f"web-form:{data['submission']}",
                attachments=data["attachments"],
            )
        except DomainError as error:
            add_domain_error(form, error, aliases=SUPPORT_FIELDS)
        else:
            return HttpResponseRedirect(_thanks_url(result.case.reference))
    return render(request, "inbox/support_new.html", {"form": form}, status=UNPROCESSABLE)


@require_GET
def support_thanks(request: HttpRequest) -> HttpResponse:
    """The confirmation, with the case reference (signed in the link, so it cannot be forged)."""
    reference = ""
    token = request.GET.get("r", "")
    if token:
        try:
            reference = str(signing.loads(token, salt=THANKS_SALT, max_age=THANKS_MAX_AGE))
        except signing.BadSignature:
            reference = ""
    return render(request, "inbox/support_thanks.html", {"reference": reference})


# --- the phone-call log -----------------------------------------------------------------------


@dataclass(frozen=True)
class CallerOption:
    customer: Customer
    email: str
    phone: str


def _looks_like_phone(text: str) -> bool:
    return sum(ch.isdigit() for ch in text) >= 6 and all(ch.isdigit() or ch in " +-()./" for ch in text)


def _caller_options(user: Any, query: str) -> list[CallerOption]:
    """Exact phone matches first (the number on the phone's display), then the customer search."""
    query = query.strip()
    found: list[Customer] = []
    if _looks_like_phone(query):
        found = selectors.customers_with_phone(normalize_phone(query))
    seen = {c.pk for c in found}
    for customer in customer_selectors.customer_quick_search(user=user, query=query, limit=10):
        if customer.pk not in seen:
            found.append(customer)
            seen.add(customer.pk)
    return [
        CallerOption(
            customer=c,
            email=customer_selectors.primary_value(c, ContactKind.EMAIL),
            phone=customer_selectors.primary_value(c, ContactKind.PHONE),
        )
        for c in found
    ]


def _int(value: str | None) -> int | None:
    try:
        number = int(value or "")
    except ValueError:
        return None
    return number if 0 < number < 2**63 else None


def _chosen_customer(request: HttpRequest) -> Customer | None:
    raw = request.POST.get("customer") if request.method == "POST" else request.GET.get("customer")
    customer_id = _int(raw)
    if raw and customer_id is None:
        raise Http404(_("Customer not found."))
    if customer_id is None:
        return None
    try:
        return customer_selectors.customer_get_for_user(user=request.user, pk=customer_id)
    except NotFound:
        raise Http404(_("Customer not found.")) from None


def _caller_initial(query: str) -> dict[str, Any]:
    """A new caller's fields prefilled from what the agent searched for."""
    if "@" in query:
        return {"caller_email": query}
    if query and _looks_like_phone(query):
        return {"caller_phone": query}
    return {"caller_name": query}


@require_http_methods(["GET", "POST"])
@require_permissions(WORKSPACE, CASE_REPLY)
def call_log(request: HttpRequest) -> HttpResponse:
    """Find the caller (or start a new one), pick their open case or a new one, log the call."""
    search = CallerSearchForm(request.GET)
    query = search.cleaned_data.get("q", "") if search.is_valid() else ""
    customer = _chosen_customer(request)
    new_caller = customer is None and (request.GET.get("new") == "1" or request.method == "POST")
    open_cases: list[Case] = selectors.open_cases_of(customer) if customer is not None else []
    form: CallForm | None = None
    status = 200
    if request.method == "POST":
        form = CallForm(request.POST, open_cases=open_cases, known_caller=customer is not None)
        if form.is_valid():
            try:
                result = services.call_record(by=request.user, data=form.to_input())
            except DomainError as error:
                add_domain_error(form, error, aliases=CALL_FIELDS)
            else:
                messages.success(
                    request,
                    _("Call logged on case #%(ref)s.") % {"ref": result.case.reference},
                )
                return htmx_redirect(request, result.case.get_absolute_url())
        status = UNPROCESSABLE
    elif customer is not None or new_caller:
        initial = {"customer": customer.pk} if customer is not None else _caller_initial(query)
        form = CallForm(initial=initial, open_cases=open_cases, known_caller=customer is not None)
    context = {
        "search": search,
        "query": query,
        "options": _caller_options(request.user, query) if query and customer is None else [],
        "customer": customer,
        "new_caller": new_caller,
        "form": form,
        "open_cases": open_cases,
    }
    if wants_fragment(request, "caller-results"):
        return render(request, "inbox/partials/_caller_results.html", context)
    return render(request, "inbox/call_log.html", context, status=status)
