"""The agent's queue, case search, new case, saved views, bulk actions, macros and handover pages.

Each view serves its full page and its HTMX fragment from one code path (the fragment is chosen
by ``HX-Target``); reads go through ``selectors``, writes through the services (``services``,
``bulk``, ``macros``, ``handover``, ``assignment``, ``saved_views``). Bad filter values are a
400 page (a 422 fragment for HTMX) that names them; a service's refusal is a form error (422).
Access: staff with ``cases.view_case`` plus the action's own permission; customers get 403.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from frontline.accounts import roles
from frontline.accounts.choices import Availability
from frontline.accounts.models import Membership
from frontline.core.errors import DomainError, FieldErrors, PermissionDeniedError
from frontline.core.forms import add_domain_error
from frontline.core.htmx import htmx_redirect, is_htmx, wants_fragment
from frontline.customers import selectors as customer_selectors
from frontline.customers.choices import Channel
from frontline.customers.models import Customer

from . import assignment, bulk, handover, macros, queue_cache, saved_views, selectors, services
from .access import staff_required
from .choices import MacroScope, Priority, StatusCategory
from .filters import (
    ACTIVE,
    ACTIVE_LIST,
    ME,
    NONE,
    PAGE_SIZES,
    SLA_CHOICES,
    SORT_DUE,
    SORTS,
    TAB_ALL,
    TAB_MINE,
    TAB_TEAM,
    TABS,
    CaseFilter,
    parse_case_filter,
    parse_page,
)
from .models import Case, Macro
from .queue_display import highlighted, row_dicts, rows_html, url_maker
from .queue_forms import (
    FROM_CUSTOMER,
    AvailabilityForm,
    BulkForm,
    MacroForm,
    NewCaseForm,
    SavedViewForm,
    ShiftSummaryForm,
)

UNPROCESSABLE = 422
BAD_REQUEST = 400
SEARCH_PAGE = 25
CUSTOMER_CASES = 8


def _queue_path() -> str:
    return reverse("cases:queue")


def queue_url(
    filters: CaseFilter, *, offset: int = 0, limit: int | None = None, view: int | None = None
) -> str:
    """The queue page showing ``filters`` (``tab=all`` spelt out: no tab means "mine")."""
    items = filters.to_query_items()
    if filters.tab == TAB_ALL:
        items.insert(0, ("tab", "all"))
    if limit and limit != PAGE_SIZES[1]:
        items.append(("limit", str(limit)))
    if offset:
        items.append(("offset", str(offset)))
    if view:
        items.append(("view", str(view)))
    return f"{_queue_path()}?{urlencode(items)}"


def _params_with_default_tab(params: QueryDict) -> QueryDict:
    if params.get("tab"):
        return params
    copy = params.copy()
    copy["tab"] = TAB_MINE
    return copy


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isascii() and value.isdigit() and len(value) < 19 else None


# --- select options, rendered here once rather than per option in the template ----------------


def _options(pairs: Iterable[tuple[Any, Any]], selected: set[str]) -> str:
    out = []
    for value, label in pairs:
        value = str(value)
        mark = " selected" if value in selected else ""
        out.append(f'<option value="{escape(value)}"{mark}>{escape(label)}</option>')
    return "".join(out)


def _select(
    groups: Sequence[tuple[str, Iterable[tuple[Any, Any]]]],
    selected: Iterable[str],
    *,
    empty: str,
    agents: dict[int, str] | None = None,
) -> SafeString:
    """``<option>``s (in ``<optgroup>``s when a group has a label), then the prebuilt agent
    options if given. Several selected values (a saved view, the API) show as one option whose
    value lists them all."""
    chosen = [s for s in selected if s]
    html = [f'<option value=""{"" if chosen else " selected"}>{escape(empty)}</option>']
    if len(chosen) > 1:
        html.append(
            f'<option value="{escape(",".join(chosen))}" selected>'
            f"{escape(_('%(count)d selected') % {'count': len(chosen)})}</option>"
        )
        chosen = []
    marked = set(chosen)
    for label, pairs in groups:
        options = _options(pairs, marked)
        html.append(f'<optgroup label="{escape(label)}">{options}</optgroup>' if label else options)
    if agents:
        for pk, option in agents.items():
            html.append(option.replace("<option ", "<option selected ", 1) if str(pk) in marked else option)
    return mark_safe("".join(html))


def _filter_selects(filters: CaseFilter, choices: selectors.QueueChoices) -> dict[str, SafeString]:
    if filters.categories == ACTIVE_LIST and not filters.status_ids:
        status_selected = [ACTIVE]
    else:
        status_selected = [*filters.categories, *map(str, filters.status_ids)]
    team_selected = ([NONE] if filters.no_team else []) + [str(t) for t in filters.team_ids]
    assignee_selected = (
        ([ME] if filters.assignee_me else [])
        + ([NONE] if filters.unassigned else [])
        + [str(a) for a in filters.assignee_ids]
    )
    return {
        "status": _select(
            [
                (_("Status groups"), [(ACTIVE, _("Active (not resolved)")), *StatusCategory.choices]),
                (_("Statuses"), [(pk, name) for pk, name, _category in choices.statuses]),
            ],
            status_selected,
            empty=_("Any status") if filters.tab == TAB_ALL else _("Not resolved"),
        ),
        "priority": _select([("", reversed(Priority.choices))], filters.priorities, empty=_("Any priority")),
        "team": _select([("", [(NONE, _("No team")), *choices.teams])], team_selected, empty=_("Any team")),
        "assignee": _select(
            [("", [(ME, _("Me")), (NONE, _("Unassigned"))])],
            assignee_selected,
            empty=_("Anyone"),
            agents=choices.agent_options,
        ),
        "channel": _select([("", Channel.choices)], filters.channels, empty=_("Any channel")),
        "sla": _select([("", SLA_CHOICES.items())], [filters.sla], empty=_("Any SLA")),
        "sort": _select(
            [("", SORTS.items())],
            [filters.sort] if filters.sort != SORT_DUE else [],
            empty=str(SORTS[SORT_DUE]),
        ),
    }


# --- the queue ---------------------------------------------------------------------------------


def _live_groups(filters: CaseFilter, team_ids: Sequence[int]) -> list[str]:
    """The live groups (``queue-<team id>`` / ``queue-all``) whose changes the page shows."""
    if filters.tab == TAB_TEAM and team_ids:
        return [f"queue-{pk}" for pk in team_ids]
    return ["queue-all"]


def _tabs(current: str, counts: dict[str, int] | None = None) -> list[dict[str, Any]]:
    path = _queue_path()
    return [
        {
            "key": key,
            "label": label,
            "url": f"{path}?tab={key}",
            "active": key == current,
            "count": None if counts is None else counts.get(key),
        }
        for key, label in TABS.items()
    ]


def _queue_context(
    request: HttpRequest,
    params: QueryDict,
    *,
    errors: dict[str, list[str]] | None = None,
    bulk_result: list[dict[str, Any]] | None = None,
) -> tuple[dict[str, Any], int]:
    """Everything the queue page and its results fragment show, and the HTTP status."""
    user = request.user
    params = _params_with_default_tab(params)
    errors = dict(errors or {})
    try:
        filters = parse_case_filter(params)
    except FieldErrors as error:
        errors.update(error.errors)
        tab = params.get("tab", TAB_MINE)
        filters = CaseFilter(tab=tab if tab in TABS else TAB_MINE)
    try:
        offset, limit = parse_page(params)
    except FieldErrors as error:
        errors.update(error.errors)
        offset, limit = 0, PAGE_SIZES[1]
    team_ids = selectors.user_team_ids(user)
    choices = selectors.queue_choices()
    now = timezone.now()
    if errors:
        page = selectors.QueuePage([], 0, limit, 0, False)
    else:
        page = selectors.case_queue(
            user=user, filters=filters, offset=offset, limit=limit, team_ids=team_ids, now=now
        )
    view_id = _int(params.get("view"))
    rows = row_dicts(page.rows, now=now)
    bulk = _bulk_context(request, choices)
    my_teams = [(pk, choices.team_name(pk)) for pk in team_ids]
    refresh_url = (
        request.get_full_path()
        if request.method == "GET"
        else queue_url(filters, offset=offset, limit=limit, view=view_id)
    )
    context: dict[str, Any] = {
        "filters": filters,
        "errors": errors,
        "page": page,
        "rows": rows,
        "rows_html": rows_html(rows, selectable=bulk["can_bulk"]),
        "offset": offset,
        "limit": limit,
        "first_row": offset + 1 if page.rows else 0,
        "last_row": offset + len(page.rows),
        "prev_url": queue_url(filters, offset=max(offset - limit, 0), limit=limit, view=view_id)
        if offset
        else "",
        "next_url": queue_url(filters, offset=offset + limit, limit=limit, view=view_id)
        if page.has_next
        else "",
        "page_number": offset // limit + 1,
        "limit_options": [(n, n == limit) for n in PAGE_SIZES],
        "tabs": _tabs(filters.tab),
        "selects": _filter_selects(filters, choices),
        "more_filters_open": bool(
            filters.tags
            or filters.customer_id
            or filters.customer_query
            or filters.created_from
            or filters.created_to
        ),
        "customer_value": str(filters.customer_id) if filters.customer_id else filters.customer_query,
        "saved_views": _saved_view_items(request, team_ids, view_id),
        "saved_view_share_options": _select(
            [("", [(pk, _("My team: %(name)s") % {"name": name}) for pk, name in my_teams])],
            [],
            empty=_("Only me"),
        ),
        "live_groups": _live_groups(filters, team_ids),
        "refresh_url": refresh_url,
        "canonical_url": queue_url(filters, offset=offset, limit=limit, view=view_id),
        "next_query": urlencode(
            [*filters.to_query_items(), *([("tab", "all")] if filters.tab == TAB_ALL else [])]
            + ([("offset", str(offset))] if offset else [])
            + ([("limit", str(limit))] if limit != PAGE_SIZES[1] else [])
        ),
        "bulk_result": bulk_result,
        "bulk_failed": any(not item["ok"] for item in bulk_result or []),
        "fragment": is_htmx(request),
        "in_no_team": filters.tab == TAB_TEAM and not team_ids,
        **bulk,
    }
    status = 200
    if errors:
        status = UNPROCESSABLE if is_htmx(request) else BAD_REQUEST
    return context, status


def _bulk_context(request: HttpRequest, choices: selectors.QueueChoices) -> dict[str, Any]:
    user = request.user
    can = {
        "can_assign": user.has_perm(roles.CASE_ASSIGN),
        "can_change": user.has_perm(roles.CASE_CHANGE),
        "can_merge": user.has_perm(roles.CASE_MERGE),
    }
    if not any(can.values()):
        return {**can, "can_bulk": False}
    return {
        **can,
        "can_bulk": True,
        "bulk_agent_options": _select([], [], empty=_("Agent…"), agents=choices.agent_options),
        "bulk_team_options": _select([("", choices.teams)], [], empty=_("Team…")),
        "bulk_status_options": _select(
            [("", [(pk, name) for pk, name, _category in choices.statuses])], [], empty=_("Status…")
        ),
    }


def _saved_view_items(
    request: HttpRequest, team_ids: Sequence[int], view_id: int | None
) -> list[dict[str, Any]]:
    """The saved views as pills. Their filters were stored in canonical form (``to_params``), so
    the link is built from them as they are; a filter the queue no longer accepts shows as an
    error when the view is opened, not here."""
    user = request.user
    can_manage = user.has_perm(roles.CASE_SETTINGS)
    path = _queue_path()
    items = []
    for view in selectors.saved_views_for_user(user, team_ids=team_ids):
        params = view.filters if isinstance(view.filters, dict) else {}
        pairs = [
            (str(name), str(value))
            for name, values in params.items()
            for value in (values if isinstance(values, list) else [values])
        ]
        if not any(name == "tab" for name, _value in pairs):
            pairs.insert(0, ("tab", "all"))
        items.append(
            {
                "pk": view.pk,
                "name": view.name,
                "url": f"{path}?{urlencode([*pairs, ('view', str(view.pk))])}",
                "active": view.pk == view_id,
                "shared": view.team_id is not None,
                "team": view.team.name if view.team else "",
                "mine": view.owner_id == user.pk,
                "can_delete": view.owner_id == user.pk or (view.team_id is not None and can_manage),
            }
        )
    return items


@require_GET
@staff_required()
def queue(request: HttpRequest) -> HttpResponse:
    """The queue: tabs, saved views, filters, sortable rows with bulk actions, live updates."""
    cache_slot, cached = queue_cache.lookup(request)
    if cached is not None:
        return cached
    context, status = _queue_context(request, request.GET)
    if wants_fragment(request, "queue-results"):
        response = render(request, "cases/partials/_queue_results.html", context, status=status)
        htmx = getattr(request, "htmx", None)
        if htmx and htmx.trigger == "queue-filters" and not context["errors"]:
            # The address bar shows the filters in their short form, not every empty field.
            response["HX-Push-Url"] = context["canonical_url"]
    else:
        response = render(request, "cases/queue.html", context, status=status)
    queue_cache.store(cache_slot, response)
    return response


@require_GET
@staff_required()
def queue_counts(request: HttpRequest) -> HttpResponse:
    """The tabs with how many active cases each holds (loaded after the page, refreshed live)."""
    cache_slot, cached = queue_cache.lookup(request)
    if cached is not None:
        return cached
    tab = request.GET.get("tab") or TAB_MINE
    counts = selectors.queue_tab_counts(user=request.user)
    response = render(
        request,
        "cases/partials/_queue_tabs.html",
        {
            "tabs": _tabs(tab if tab in TABS else TAB_MINE, counts),
            "count_cap": selectors.COUNT_CAP,
            "counted": True,
        },
    )
    queue_cache.store(cache_slot, response)
    return response


# --- bulk actions --------------------------------------------------------------------------------


_BULK_PERMISSIONS = {
    "assign": roles.CASE_ASSIGN,
    "status": roles.CASE_CHANGE,
    "tag": roles.CASE_CHANGE,
    "untag": roles.CASE_CHANGE,
    "merge": roles.CASE_MERGE,
}
_BULK_DONE = {
    "assign": gettext_lazy("assigned"),
    "status": gettext_lazy("status changed"),
    "tag": gettext_lazy("tagged"),
    "untag": gettext_lazy("tags removed"),
    "merge": gettext_lazy("merged"),
}


@require_POST
@staff_required()
def bulk_action(request: HttpRequest) -> HttpResponse:
    """Apply one action to the selected cases through ``bulk.cases_bulk``; report per case."""
    form = BulkForm(request.POST)
    next_query = QueryDict(request.POST.get("next", "")[:4000])
    if not form.is_valid():
        return _bulk_refused(request, next_query, form_errors(form))
    action = form.cleaned_data["action"]
    if not request.user.has_perm(_BULK_PERMISSIONS[action]):
        raise PermissionDenied
    ids = form.cleaned_data["case"]
    if not ids:
        return _bulk_refused(request, next_query, {"case": [_("Select at least one case.")]})
    service_action, params = form.service_params()
    if form.errors:
        return _bulk_refused(request, next_query, form_errors(form))
    if service_action == "merge":
        survivor = _merge_survivor(request, form, ids)
        if survivor is None:
            return _bulk_refused(request, next_query, {"survivor": [_("No case has this reference.")]})
        params["survivor_id"] = survivor
    try:
        result = bulk.cases_bulk(by=request.user, case_ids=ids, action=service_action, params=params)
    except PermissionDeniedError as error:
        return _bulk_refused(request, next_query, {"__all__": [error.message]}, status=403)
    except FieldErrors as error:
        return _bulk_refused(request, next_query, error.errors)
    except DomainError as error:
        return _bulk_refused(request, next_query, {error.field or "__all__": [error.message]})
    outcome = _bulk_outcome(
        ids, result, done_text=str(_BULK_DONE[action]), survivor=params.get("survivor_id")
    )
    if is_htmx(request):
        context, _status = _queue_context(request, next_query, bulk_result=outcome)
        response = render(request, "cases/partials/_queue_results.html", context)
        response["HX-Trigger"] = "queue-counts"  # the tabs count again
        return response
    done = [o for o in outcome if o["ok"]]
    failed = [o for o in outcome if not o["ok"]]
    if done:
        messages.success(
            request,
            _("%(count)d case(s) %(what)s: %(refs)s")
            % {
                "count": len(done),
                "what": _BULK_DONE[action],
                "refs": ", ".join(f"#{o['reference']}" for o in done),
            },
        )
    for item in failed:
        messages.error(request, f"#{item['reference']}: {item['message']}")
    return HttpResponseRedirect(f"{_queue_path()}?{next_query.urlencode()}")


def form_errors(form: Any) -> dict[str, list[str]]:
    return {name: [str(e) for e in errors] for name, errors in form.errors.items()}


def _merge_survivor(request: HttpRequest, form: BulkForm, ids: list[int]) -> int | None:
    """The case the others merge into: the reference typed, else the oldest selected case."""
    reference = selectors.reference_of(form.cleaned_data.get("survivor") or "")
    if reference:
        found = (
            selectors.cases_visible_to(request.user)
            .filter(reference=reference)
            .values_list("pk", flat=True)
            .first()
        )
        return found
    return min(ids)


def _bulk_outcome(
    ids: list[int], result: bulk.BulkResult, *, done_text: str, survivor: int | None = None
) -> list[dict[str, Any]]:
    references = dict(
        Case.objects.filter(pk__in=[*ids, *([survivor] if survivor else [])]).values_list("pk", "reference")
    )
    outcome = []
    for pk in ids:
        if pk == survivor:
            continue
        if pk in result.failed:
            outcome.append(
                {"reference": references.get(pk, str(pk)), "ok": False, "message": result.failed[pk]}
            )
        elif pk in result.done:
            outcome.append({"reference": references.get(pk, str(pk)), "ok": True, "message": done_text})
        else:
            outcome.append(
                {"reference": references.get(pk, str(pk)), "ok": False, "message": _("No such case.")}
            )
    if survivor and result.done:
        outcome.insert(
            0,
            {
                "reference": references.get(survivor, str(survivor)),
                "ok": True,
                "message": _("kept; the others were merged into it"),
            },
        )
    return outcome


def _bulk_refused(
    request: HttpRequest, next_query: QueryDict, errors: dict[str, list[str]], *, status: int = UNPROCESSABLE
) -> HttpResponse:
    texts = [str(text) for field_texts in errors.values() for text in field_texts]
    if is_htmx(request):
        outcome = [{"reference": "", "ok": False, "message": text} for text in texts]
        context, _status = _queue_context(request, next_query, bulk_result=outcome)
        return render(request, "cases/partials/_queue_results.html", context, status=status)
    for text in texts:
        messages.error(request, text)
    return HttpResponseRedirect(f"{_queue_path()}?{next_query.urlencode()}")


# --- saved views ---------------------------------------------------------------------------------


@require_POST
@staff_required()
def saved_view_create(request: HttpRequest) -> HttpResponse:
    """Save the current filters under a name, for me or shared with one of my teams."""
    team_ids = selectors.user_team_ids(request.user)
    choices = selectors.queue_choices()
    form = SavedViewForm(request.POST, teams=[(pk, choices.team_name(pk)) for pk in team_ids])
    query = QueryDict(request.POST.get("query", "")[:4000])
    if form.is_valid():
        try:
            filters = parse_case_filter(_params_with_default_tab(query))
            view = saved_views.saved_view_create(
                by=request.user,
                name=form.cleaned_data["name"],
                filters=filters,
                team_id=form.cleaned_data["share"],
            )
        except DomainError as error:
            add_domain_error(form, error, aliases={"team": "share", "filters": "__all__"})
        else:
            messages.success(request, _("View “%(name)s” saved.") % {"name": view.name})
            return htmx_redirect(request, queue_url(filters, view=view.pk))
    for name, texts in form.errors.items():
        for text in texts:
            label = form.fields[name].label if name in form.fields else ""
            messages.error(request, f"{label}: {text}" if label else str(text))
    return htmx_redirect(request, f"{_queue_path()}?{query.urlencode()}")


@require_POST
@staff_required()
def saved_view_delete(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        name = saved_views.saved_view_delete(view_id=pk, by=request.user)
    except PermissionDeniedError as error:
        messages.error(request, error.message)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("View “%(name)s” deleted.") % {"name": name})
    return htmx_redirect(request, _queue_path())


# --- search --------------------------------------------------------------------------------------


@require_GET
@staff_required()
def search(request: HttpRequest) -> HttpResponse:
    """Cases by reference (an exact one opens the case), customer, subject and message text.

    Pages are cached like the queue's (``queue_cache``): any case change drops them."""
    cache_slot, cached = queue_cache.lookup(request)
    if cached is not None:
        return cached
    response, cacheable = _search_response(request)
    if cacheable:
        queue_cache.store(cache_slot, response)
    return response


def _search_response(request: HttpRequest) -> tuple[HttpResponse, bool]:
    """The search page or fragment, and whether it may be cached (a redirect to a case may not)."""
    query = request.GET.get("q", "").strip()[:200]
    errors: dict[str, list[str]] = {}
    try:
        offset, _limit = parse_page(request.GET, default_limit=SEARCH_PAGE)
    except FieldErrors as error:
        errors = error.errors
        offset = 0
    if query and not errors and not request.GET.get("offset"):
        reference = selectors.case_find_by_reference(user=request.user, text=query)
        if reference:
            return htmx_redirect(request, url_maker("cases:case_detail")(reference)), False
    page = (
        selectors.case_search(user=request.user, query=query, offset=offset, limit=SEARCH_PAGE)
        if query and not errors
        else selectors.SearchPage(query, [], 0, SEARCH_PAGE, 0, False)
    )
    now = timezone.now()
    rows = row_dicts([hit.row for hit in page.hits], now=now)
    results = []
    for hit, row in zip(page.hits, rows, strict=True):
        excerpt = ""
        if hit.message_body:
            text, spans = selectors.snippet(hit.message_body, query)
            excerpt = highlighted(text, spans)
        subject_text, subject_spans = selectors.snippet(hit.row.subject, query, width=400)
        results.append(
            {
                **row,
                "subject_html": highlighted(subject_text, subject_spans),
                "excerpt": excerpt,
                "message_kind": hit.message_kind,
                "message_at": hit.message_at,
                "matched_case": hit.matched_case,
            }
        )
    base = reverse("cases:search")
    context = {
        "query": query,
        "page": page,
        "results": results,
        "errors": errors,
        "first_row": offset + 1 if results else 0,
        "last_row": offset + len(results),
        "prev_url": f"{base}?{urlencode({'q': query, 'offset': max(offset - SEARCH_PAGE, 0)})}"
        if offset
        else "",
        "next_url": f"{base}?{urlencode({'q': query, 'offset': offset + SEARCH_PAGE})}"
        if page.has_next
        else "",
    }
    status = (UNPROCESSABLE if is_htmx(request) else BAD_REQUEST) if errors else 200
    if wants_fragment(request, "search-results"):
        return render(request, "cases/partials/_queue_search_results.html", context, status=status), True
    return render(request, "cases/search.html", context, status=status), True


# --- new case ------------------------------------------------------------------------------------


def _customer_for(request: HttpRequest, value: str | None) -> Customer | None:
    pk = _int(value)
    if pk is None:
        return None
    try:
        return customer_selectors.customer_get_for_user(user=request.user, pk=pk)
    except DomainError:
        return None


@require_http_methods(["GET", "POST"])
@staff_required(roles.CASE_ADD)
def case_new(request: HttpRequest) -> HttpResponse:
    """Open a case for a customer (``?customer=<id>``; without one, find the customer first)."""
    choices = selectors.queue_choices()
    data = request.POST if request.method == "POST" else None
    customer = _customer_for(request, (data or request.GET).get("customer"))
    team_ids = selectors.user_team_ids(request.user)
    initial = {
        "customer": customer.pk if customer else None,
        "team": team_ids[0] if len(team_ids) == 1 else None,
        "channel": Channel.PHONE,
        "priority": Priority.NORMAL,
        "written_by": FROM_CUSTOMER,
    }
    form = NewCaseForm(data, choices=choices, initial=initial)
    status = 200
    if data is not None:
        if form.is_valid() and customer is not None:
            cleaned = form.cleaned_data
            try:
                case = services.case_create(
                    by=request.user,
                    data=services.CaseInput(
                        customer_id=customer.pk,
                        subject=cleaned["subject"],
                        body=cleaned["body"],
                        channel=cleaned["channel"],
                        priority=cleaned["priority"],
                        category_id=cleaned["category"],
                        team_id=cleaned["team"],
                        assignee_id=cleaned["assignee"],
                        tags=cleaned["tags"],
                        from_customer=cleaned["written_by"] == FROM_CUSTOMER,
                    ),
                )
            except DomainError as error:
                add_domain_error(form, error, aliases={"category_id": "category", "team_id": "team"})
            else:
                messages.success(request, _("Case #%(ref)s opened.") % {"ref": case.reference})
                return htmx_redirect(request, case.get_absolute_url())
        elif customer is None:
            form.add_error(None, _("Choose the customer the case is for."))
        status = UNPROCESSABLE
    customer_query = request.GET.get("q", "").strip()[:200]
    context: dict[str, Any] = {"form": form, "customer": customer, "customer_query": customer_query}
    if customer is None and customer_query:
        context["customer_results"] = customer_selectors.customer_quick_search(
            user=request.user, query=customer_query, limit=10
        )
    if wants_fragment(request, "new-case-customers"):
        return render(request, "cases/partials/_queue_customer_pick.html", context, status=status)
    if wants_fragment(request, "new-case-form"):
        return render(request, "cases/partials/_queue_new_case_form.html", context, status=status)
    return render(request, "cases/case_new.html", context, status=status)


@require_GET
@staff_required()
def customer_cases(request: HttpRequest, pk: int) -> HttpResponse:
    """The customer's cases, for the 360 page (loaded into it by HTMX)."""
    found = selectors.cases_for_customer(user=request.user, customer_id=pk, limit=CUSTOMER_CASES)
    context = {
        "customer_id": pk,
        "rows": row_dicts(found.rows),
        "active": found.active,
        "total": found.total,
        "count_cap": selectors.COUNT_CAP,
        "all_url": queue_url(CaseFilter(customer_id=pk, sort="-created")),
    }
    return render(request, "cases/partials/_queue_customer_cases.html", context)


# --- macros --------------------------------------------------------------------------------------


def _lead_team_ids(user: Any) -> set[int]:
    return set(Membership.objects.filter(user_id=user.pk, is_lead=True).values_list("team_id", flat=True))


def _may_manage_macro(user: Any, macro: Macro, lead_teams: set[int]) -> bool:
    """Mirrors ``macros`` rules for the buttons (the service decides)."""
    if macro.scope == MacroScope.PERSONAL:
        return macro.owner_id == user.pk
    if macro.owner_id == user.pk or assignment.is_admin(user):
        return True
    if macro.scope == MacroScope.TEAM:
        return macro.team_id in lead_teams
    return bool(user.has_perm(roles.CASE_SETTINGS))


def _macro_teams(user: Any) -> list[tuple[int, str]]:
    choices = selectors.queue_choices()
    if assignment.is_admin(user):
        return choices.teams
    return [(pk, choices.team_name(pk)) for pk in selectors.user_team_ids(user)]


def _macro_page(
    request: HttpRequest, *, form: MacroForm | None = None, editing: Macro | None = None, status: int = 200
) -> HttpResponse:
    user = request.user
    lead_teams = _lead_team_ids(user)
    items: list[tuple[Macro, bool]] = [
        (m, _may_manage_macro(user, m, lead_teams)) for m in macros.macros_for_user(user)
    ]
    groups = [
        (scope, label, [(m, can) for m, can in items if m.scope == scope])
        for scope, label in MacroScope.choices
    ]
    choices = selectors.queue_choices()
    context = {
        "groups": groups,
        "count": len(items),
        "form": form or MacroForm(choices=choices, teams=_macro_teams(user)),
        "editing": editing,
        "can_share": bool(lead_teams) or user.has_perm(roles.CASE_SETTINGS),
    }
    if wants_fragment(request, "macro-form"):
        return render(request, "cases/partials/_queue_macro_form.html", context, status=status)
    return render(request, "cases/macros.html", context, status=status)


def _macro_for(request: HttpRequest, pk: int) -> Macro:
    found = next((m for m in macros.macros_for_user(request.user) if m.pk == pk), None)
    if found is None:
        raise Http404(_("Macro not found."))
    return found


@require_GET
@staff_required()
def macro_list(request: HttpRequest) -> HttpResponse:
    return _macro_page(request)


@require_POST
@staff_required()
def macro_create(request: HttpRequest) -> HttpResponse:
    choices = selectors.queue_choices()
    form = MacroForm(request.POST, choices=choices, teams=_macro_teams(request.user))
    if form.is_valid():
        data = form.cleaned_data
        try:
            macro = macros.macro_create(
                by=request.user,
                name=data["name"],
                body=data["body"],
                scope=data["scope"],
                team_id=data["team"] if data["scope"] == MacroScope.TEAM else None,
                set_status=data["set_status"],
                add_tags=data["add_tags"],
                is_internal=data["is_internal"],
            )
        except PermissionDeniedError as error:
            form.add_error("scope", error.message)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("Macro “%(name)s” saved.") % {"name": macro.name})
            return htmx_redirect(request, reverse("cases:macro_list"))
    return _macro_page(request, form=form, status=UNPROCESSABLE)


@require_http_methods(["GET", "POST"])
@staff_required()
def macro_edit(request: HttpRequest, pk: int) -> HttpResponse:
    macro = _macro_for(request, pk)
    choices = selectors.queue_choices()
    teams = _macro_teams(request.user)
    if macro.team_id and all(t != macro.team_id for t, _name in teams):
        teams = [*teams, (macro.team_id, choices.team_name(macro.team_id))]
    initial = {
        "name": macro.name,
        "body": macro.body,
        "scope": macro.scope,
        "team": macro.team_id,
        "set_status": macro.set_status_id,
        "add_tags": ", ".join(macro.add_tags),
        "is_internal": macro.is_internal,
    }
    if request.method == "GET":
        form = MacroForm(initial=initial, choices=choices, teams=teams, editing=True)
        return _macro_page(request, form=form, editing=macro)
    form = MacroForm(request.POST, initial=initial, choices=choices, teams=teams, editing=True)
    if form.is_valid():
        data = form.cleaned_data
        try:
            macros.macro_update(
                macro_id=macro.pk,
                by=request.user,
                name=data["name"],
                body=data["body"],
                set_status=data["set_status"],
                add_tags=data["add_tags"],
                is_internal=data["is_internal"],
            )
        except PermissionDeniedError as error:
            form.add_error(None, error.message)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("Macro “%(name)s” saved.") % {"name": data["name"]})
            return htmx_redirect(request, reverse("cases:macro_list"))
    return _macro_page(request, form=form, editing=macro, status=UNPROCESSABLE)


@require_POST
@staff_required()
def macro_delete(request: HttpRequest, pk: int) -> HttpResponse:
    macro = _macro_for(request, pk)
    try:
        macros.macro_delete(macro_id=macro.pk, by=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Macro “%(name)s” deleted.") % {"name": macro.name})
    return htmx_redirect(request, reverse("cases:macro_list"))


# --- handover ------------------------------------------------------------------------------------


def _handover_context(request: HttpRequest, form: ShiftSummaryForm | None = None) -> dict[str, Any]:
    user = request.user
    choices = selectors.queue_choices()
    team_ids = selectors.user_team_ids(user)
    teams = [(pk, choices.team_name(pk)) for pk in team_ids]
    return {
        "form": form
        or ShiftSummaryForm(
            teams=teams, agents=choices.agents, initial={"team": team_ids[0] if team_ids else None}
        ),
        "teams": teams,
        "notes": handover.handover_notes_open_for(user),
        "written": selectors.handover_notes_written_by(user=user, limit=10),
    }


@require_http_methods(["GET", "POST"])
@staff_required()
def handover_page(request: HttpRequest) -> HttpResponse:
    """The shift handover: write the shift summary for my team, read and acknowledge open notes."""
    if request.method == "GET":
        return render(request, "cases/handover.html", _handover_context(request))
    choices = selectors.queue_choices()
    teams = [(pk, choices.team_name(pk)) for pk in selectors.user_team_ids(request.user)]
    form = ShiftSummaryForm(request.POST, teams=teams, agents=choices.agents)
    if form.is_valid():
        data = form.cleaned_data
        try:
            handover.handover_note_add(
                by=request.user, body=data["body"], team_id=data["team"], handed_to_id=data["handed_to"]
            )
        except DomainError as error:
            add_domain_error(form, error, aliases={"handed_to_id": "handed_to", "team_id": "team"})
        else:
            messages.success(request, _("Shift summary left for the next shift."))
            return htmx_redirect(request, reverse("cases:handover"))
    return render(request, "cases/handover.html", _handover_context(request, form), status=UNPROCESSABLE)


@require_POST
@staff_required()
def handover_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        handover.handover_acknowledge(note_id=pk, by=request.user)
    except PermissionDeniedError as error:
        messages.error(request, error.message)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Handover note acknowledged."))
    # Back where the button was: the dashboard or the handover page (never an outside address).
    back = reverse("workspace:home")
    return htmx_redirect(request, back if request.POST.get("next") == back else reverse("cases:handover"))


# --- availability --------------------------------------------------------------------------------


@require_POST
@staff_required()
def availability(request: HttpRequest) -> HttpResponse:
    """Set my availability (online / away / offline) from the dashboard."""
    form = AvailabilityForm(request.POST)
    if form.is_valid():
        try:
            assignment.availability_set(
                user_id=request.user.pk or 0, by=request.user, availability=form.cleaned_data["availability"]
            )
        except DomainError as error:
            messages.error(request, error.message)
        else:
            label = dict(Availability.choices)[form.cleaned_data["availability"]]
            messages.success(request, _("You are %(state)s.") % {"state": str(label).lower()})
    else:
        messages.error(request, _("Choose online, away or offline."))
    return HttpResponseRedirect(reverse("workspace:home"))


urlpatterns: list[URLPattern] = [
    path("", queue, name="queue"),
    path("counts/", queue_counts, name="queue_counts"),
    path("bulk/", bulk_action, name="bulk"),
    path("views/", saved_view_create, name="saved_view_create"),
    path("views/<int:pk>/delete/", saved_view_delete, name="saved_view_delete"),
    path("search/", search, name="search"),
    path("new/", case_new, name="case_new"),
    path("customer/<int:pk>/", customer_cases, name="customer_cases"),
    path("macros/", macro_list, name="macro_list"),
    path("macros/new/", macro_create, name="macro_create"),
    path("macros/<int:pk>/edit/", macro_edit, name="macro_edit"),
    path("macros/<int:pk>/delete/", macro_delete, name="macro_delete"),
    path("handover/", handover_page, name="handover"),
    path("handover/<int:pk>/acknowledge/", handover_acknowledge, name="handover_acknowledge"),
    path("availability/", availability, name="availability"),
]
