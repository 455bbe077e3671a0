"""The staff shell: the role dashboard at "/" and the header's quick search."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_GET

from frontline.accounts import roles
from frontline.accounts.choices import Availability
from frontline.audit import selectors as audit_selectors
from frontline.cases import handover
from frontline.cases import selectors as case_selectors
from frontline.cases.filters import CaseFilter
from frontline.cases.queue_views import queue_url
from frontline.core.access import require_permissions
from frontline.core.htmx import is_htmx
from frontline.customers import selectors as customer_selectors

from . import selectors

QUICK_SEARCH_LIMIT = 8


@require_GET
@require_permissions(roles.WORKSPACE)
def home(request: HttpRequest) -> HttpResponse:
    """What is real today, per role; a fixed number of queries whatever the data."""
    user = request.user
    now = timezone.localtime()
    week_start = (now - timedelta(days=now.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)
    context: dict[str, object] = {
        "week_start": week_start,
        "own_audit": list(audit_selectors.audit_list(actor_id=user.pk)[:8]),
    }
    if user.has_perm(roles.CASE_VIEW):
        context.update(_case_work(user))
    if user.has_perm(roles.CUSTOMER_VIEW):
        context.update(
            counts=selectors.customer_counts(since=week_start),
            recent_customers=selectors.recent_customers(limit=8),
            recent_interactions=selectors.recent_interactions(limit=10),
        )
    if user.has_perm(roles.AUDIT_VIEW):
        context.update(
            duplicate_groups=customer_selectors.duplicate_contact_groups_count(),
            recent_audit=list(audit_selectors.audit_list()[:10]),
        )
    return render(request, "workspace/home.html", context)


def _case_work(user: Any) -> dict[str, object]:
    """The case worker's corner of the dashboard: counters that link to the queue, open handover
    notes (seed 004: the next shift reads them here), unread mentions, availability. Four queries."""
    team_ids = case_selectors.user_team_ids(user)
    counts = case_selectors.dashboard_counts(user=user, team_ids=team_ids)
    filters = case_selectors.dashboard_filters(team_ids)
    links = {name: queue_url(f) for name, f in filters.items()}
    return {
        "case_counts": counts,
        "case_count_cap": case_selectors.COUNT_CAP,
        "case_links": links,
        "case_open_url": queue_url(CaseFilter(tab="open")),
        "handover_notes": handover.handover_notes_open_for(user, limit=10),
        "mentions": case_selectors.mentions_unread_for_user(user=user, limit=8),
        "show_availability": user.has_perm(roles.CASE_REPLY),
        "availability_choices": Availability.choices,
    }


@require_GET
@require_permissions(roles.WORKSPACE, roles.CUSTOMER_VIEW)
def quick_search(request: HttpRequest) -> HttpResponse:
    """The header search box: an HTMX list of up to 8 customers; without HTMX, the customer list."""
    query = request.GET.get("q", "").strip()[:200]
    if not is_htmx(request):
        url = reverse("customers:customer_list")
        return HttpResponseRedirect(f"{url}?{urlencode({'q': query})}" if query else url)
    if len(query) < 2:
        return HttpResponse("")  # empty: the results box hides itself (CSS :empty)
    results = customer_selectors.customer_quick_search(
        user=request.user, query=query, limit=QUICK_SEARCH_LIMIT
    )
    list_url = f"{reverse('customers:customer_list')}?{urlencode({'q': query})}"
    context: dict[str, object] = {"results": results, "query": query, "list_url": list_url}
    if request.user.has_perm(roles.CASE_VIEW):
        # A case reference opens the case; any text can go on to the case search.
        reference = case_selectors.case_find_by_reference(user=request.user, text=query)
        context["case_url"] = reverse("cases:case_detail", args=[reference]) if reference else ""
        context["case_reference"] = reference
        context["case_search_url"] = f"{reverse('cases:search')}?{urlencode({'q': query})}"
    return render(request, "workspace/partials/_quick_search_results.html", context)
