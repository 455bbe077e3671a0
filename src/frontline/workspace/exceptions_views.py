"""The exception dashboard (seed 004): open delivery exceptions, highest impact first.

One code path serves the page and its HTMX fragments: the filter form asks for
``#exception-results`` (the table and its pages), a row action answers with its row
(``#exception-<id>``). Reads cost a fixed number of queries whatever the number of exceptions
(asserted in the tests); writes go through ``shipping.services`` and a refusal becomes a form
error on the row with status 422.

Access: staff with SHIPMENT_VIEW read; EXCEPTION_WORK assigns, acknowledges and resolves;
portal customers get 403, anonymous users the sign-in page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q, Sum
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from frontline.accounts import roles
from frontline.cases import proactive
from frontline.cases.models import Case
from frontline.cases.queue_display import duration_text
from frontline.catalog.models import Warehouse
from frontline.core.access import require_permissions
from frontline.core.errors import DomainError, NotFound
from frontline.core.forms import BootstrapFormMixin, add_domain_error
from frontline.core.htmx import htmx_redirect, is_htmx, wants_fragment
from frontline.core.pagination import paginate
from frontline.customers.models import Customer
from frontline.orders.models import Order
from frontline.shipping import impact, selectors, services
from frontline.shipping.choices import (
    AGENT_RESOLUTIONS,
    UNRESOLVED_STATUSES,
    ExceptionKind,
    ExceptionStatus,
    IncidentReason,
    Resolution,
    Severity,
)
from frontline.shipping.models import Carrier, DeliveryException

UNPROCESSABLE = 422
PAGE_SIZE = 25
RESULTS_ID = "exception-results"
#: "Caught proactively" is measured over exceptions detected in this many days.
CAUGHT_WINDOW_DAYS = 30
#: Customer value counts the orders of this many days (as shipping's impact score does).
CUSTOMER_VALUE_DAYS = 365


def _read(view: Any) -> Any:
    return require_permissions(roles.WORKSPACE, roles.SHIPMENT_VIEW)(view)


def _work(view: Any) -> Any:
    return require_permissions(roles.WORKSPACE, roles.SHIPMENT_VIEW, roles.EXCEPTION_WORK)(view)


# --- forms -----------------------------------------------------------------------------------------

ME, NOBODY = "me", "none"


def _choice_field(form: forms.Form, name: str) -> forms.ChoiceField:
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    return field


class ExceptionFilterForm(BootstrapFormMixin, forms.Form):
    carrier = forms.ChoiceField(label=gettext_lazy("Carrier"), required=False)
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), required=False)
    reason = forms.ChoiceField(label=gettext_lazy("Reason"), required=False)
    warehouse = forms.ChoiceField(label=gettext_lazy("Warehouse"), required=False)
    status = forms.ChoiceField(label=gettext_lazy("Status"), required=False)
    assignee = forms.ChoiceField(label=gettext_lazy("Assignee"), required=False)
    offset = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)

    def __init__(
        self,
        *args: Any,
        carriers: list[tuple[str, str]],
        warehouses: list[tuple[int, str]],
        agents: list[tuple[int, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        _choice_field(self, "carrier").choices = [("", _("All carriers")), *carriers]
        _choice_field(self, "kind").choices = [("", _("All kinds")), *ExceptionKind.choices]
        _choice_field(self, "reason").choices = [("", _("All reasons")), *IncidentReason.choices]
        _choice_field(self, "warehouse").choices = [
            ("", _("All warehouses")),
            *((str(k), v) for k, v in warehouses),
        ]
        _choice_field(self, "status").choices = [
            ("", _("Open (any)")),
            *((s.value, s.label) for s in UNRESOLVED_STATUSES_ORDERED),
            ("resolved", _("Resolved")),
        ]
        _choice_field(self, "assignee").choices = [
            ("", _("Anyone")),
            (ME, _("Me")),
            (NOBODY, _("Nobody")),
            *((str(pk), name) for pk, name in agents),
        ]


UNRESOLVED_STATUSES_ORDERED = [s for s in ExceptionStatus if s in UNRESOLVED_STATUSES]


class AssignForm(BootstrapFormMixin, forms.Form):
    assignee = forms.ChoiceField(label=gettext_lazy("Assign to"))

    def __init__(self, *args: Any, agents: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choice_field(self, "assignee").choices = [
            (ME, _("Me")),
            (NOBODY, _("Nobody")),
            *((str(pk), name) for pk, name in agents),
        ]


class ResolveForm(BootstrapFormMixin, forms.Form):
    resolution = forms.ChoiceField(
        label=gettext_lazy("Outcome"), choices=[(r.value, r.label) for r in AGENT_RESOLUTIONS]
    )
    note = forms.CharField(
        label=gettext_lazy("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


# --- what a row shows --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImpactPart:
    label: str
    points: float
    maximum: int
    detail: str


@dataclass
class ExceptionRow:
    exception: DeliveryException
    customer_name: str
    customer_contacted_at: datetime | None
    case_reference: str
    parts: list[ImpactPart] = field(default_factory=list)

    @property
    def customer_contacted(self) -> bool:
        return self.customer_contacted_at is not None

    @property
    def parts_total(self) -> int:
        return min(100, round(sum(p.points for p in self.parts)))


def impact_parts(inputs: impact.ImpactInputs, *, today: date) -> list[ImpactPart]:
    """The impact score of ``shipping.impact`` in its six parts, labelled for the dashboard."""
    points = impact.impact_points(inputs, today=today)
    promise = inputs.promised_date
    return [
        ImpactPart(_("Severity"), points["severity"], 30, str(Severity(inputs.severity).label)),
        ImpactPart(_("Order value"), points["order_value"], 20, f"{inputs.order_value:.2f}"),
        ImpactPart(
            _("Customer value (365 days)"), points["customer_value"], 15, f"{inputs.customer_value:.2f}"
        ),
        ImpactPart(_("Days late"), points["days_late"], 15, str(max(inputs.delay_days, 0))),
        ImpactPart(_("Promise at risk"), points["promise"], 10, str(promise) if promise else _("no promise")),
        ImpactPart(_("Customer contacted us"), points["contacts"], 10, str(inputs.customer_contacts)),
    ]


def _rows(exceptions: list[DeliveryException]) -> list[ExceptionRow]:
    """Rows for a page of exceptions: 4 queries whatever their number (customers, their order
    value, their inbound contacts since the oldest detection, linked cases)."""
    if not exceptions:
        return []
    now = timezone.now()
    today = timezone.localdate()
    customer_ids = {e.order.customer_id for e in exceptions if e.order is not None}
    names = {
        pk: f"{first} {last}".strip()
        for pk, first, last in Customer.objects.filter(pk__in=customer_ids).values_list(
            "pk", "first_name", "last_name"
        )
    }
    values: dict[int, Decimal] = {
        row["customer_id"]: row["total"] or Decimal(0)
        for row in Order.objects.filter(
            customer_id__in=customer_ids, placed_at__gte=now - timedelta(days=CUSTOMER_VALUE_DAYS)
        )
        .values("customer_id")
        .annotate(total=Sum("total"))
        .order_by()
    }
    since = min(e.detected_at for e in exceptions)
    contacts = proactive.last_inbound_contacts(customer_ids=customer_ids, since=since)
    case_ids = {e.case_id for e in exceptions if e.case_id}
    references = dict(Case.objects.filter(pk__in=case_ids).values_list("pk", "reference")) if case_ids else {}
    rows = []
    for exception in exceptions:
        order = exception.order
        customer_id = order.customer_id if order is not None else None
        contacted_at = exception.customer_contacted_us_at
        last = contacts.get(customer_id) if customer_id is not None else None
        if contacted_at is None and last is not None and last >= exception.detected_at:
            contacted_at = last
        shipment = exception.shipment
        inputs = impact.ImpactInputs(
            severity=exception.severity,
            order_value=order.total if order is not None else Decimal(0),
            customer_value=values.get(customer_id, Decimal(0)) if customer_id is not None else Decimal(0),
            delay_days=exception.delay_days,
            promised_date=shipment.promised_date,
            expected=exception.new_expected_by or shipment.current_edd,
            customer_contacts=exception.customer_contacts,
        )
        rows.append(
            ExceptionRow(
                exception=exception,
                customer_name=names.get(customer_id, "") if customer_id is not None else "",
                customer_contacted_at=contacted_at,
                case_reference=references.get(exception.case_id, "") if exception.case_id else "",
                parts=impact_parts(inputs, today=today),
            )
        )
    return rows


@dataclass(frozen=True)
class ExceptionMetrics:
    """The dashboard's measures over the exceptions detected in the last ``days``: of those where
    someone made the first contact, the share where it was us (``contacted_first``, "caught
    proactively"); and of those the team resolved (a delivery closing one on its own does not
    count), how many and how long it took on average (seed 004's "exception resolution time")."""

    ours: int
    theirs: int
    days: int
    resolved: int = 0
    resolution_seconds: float | None = None

    @property
    def resolution_time(self) -> str:
        return duration_text(self.resolution_seconds) if self.resolution_seconds is not None else ""

    @property
    def total(self) -> int:
        return self.ours + self.theirs

    @property
    def percent(self) -> int | None:
        return round(100 * self.ours / self.total) if self.total else None


def exception_metrics(*, days: int = CAUGHT_WINDOW_DAYS) -> ExceptionMetrics:
    """1 query."""
    since = timezone.now() - timedelta(days=days)
    by_the_team = Q(status=ExceptionStatus.RESOLVED, resolved_at__isnull=False)
    counts = DeliveryException.objects.filter(detected_at__gte=since).aggregate(
        ours=Count("id", filter=Q(contacted_first=True)),
        theirs=Count("id", filter=Q(contacted_first=False)),
        resolved=Count("id", filter=by_the_team),
        resolution=Avg(
            ExpressionWrapper(F("resolved_at") - F("detected_at"), output_field=DurationField()),
            filter=by_the_team,
        ),
    )
    resolution = counts["resolution"]
    return ExceptionMetrics(
        ours=counts["ours"] or 0,
        theirs=counts["theirs"] or 0,
        days=days,
        resolved=counts["resolved"] or 0,
        resolution_seconds=resolution.total_seconds() if resolution is not None else None,
    )


def _agents() -> list[tuple[int, str]]:
    """Who may work exceptions (the assign menus): 1 query."""
    work_roles = [role for role, perms in roles.ROLE_PERMISSIONS.items() if roles.EXCEPTION_WORK in perms]
    users = (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(Q(role__in=work_roles) | Q(is_superuser=True))
        .order_by("first_name", "last_name", "username")
        .values_list("pk", "first_name", "last_name", "username")[:500]
    )
    return [(pk, f"{first} {last}".strip() or username) for pk, first, last, username in users]


# --- the page ---------------------------------------------------------------------------------------


def _filters(form: ExceptionFilterForm, user: Any) -> selectors.ExceptionFilters:
    data = form.cleaned_data
    filters = selectors.ExceptionFilters(
        carrier=data.get("carrier") or "", kind=data.get("kind") or "", reason=data.get("reason") or ""
    )
    status = data.get("status") or ""
    if status == "resolved":
        filters.open = False
    elif status:
        filters.status = status
    if data.get("warehouse"):
        filters.warehouse_id = int(data["warehouse"])
    assignee = data.get("assignee") or ""
    if assignee == ME:
        filters.assigned_to_id = user.pk
    elif assignee == NOBODY:
        filters.unassigned = True
    elif assignee:
        filters.assigned_to_id = int(assignee)
    return filters


def _choices() -> dict[str, Any]:
    """The filter menus: 3 queries."""
    return {
        "carriers": list(Carrier.objects.order_by("name").values_list("code", "name")),
        "warehouses": [
            (pk, f"{code} · {name}")
            for pk, code, name in Warehouse.objects.order_by("code").values_list("pk", "code", "name")
        ],
        "agents": _agents(),
    }


def _can(request: HttpRequest) -> dict[str, bool]:
    has = request.user.has_perm
    return {
        "work": has(roles.EXCEPTION_WORK),
        "open_case": has(roles.CASE_ADD) and has(roles.CASE_VIEW),
        "view_order": has(roles.ORDER_VIEW),
        "view_case": has(roles.CASE_VIEW),
    }


@require_GET
@_read
def exception_dashboard(request: HttpRequest) -> HttpResponse:
    """The page, or (HTMX, ``#exception-results``) its table: a fixed number of queries."""
    choices = _choices()
    form = ExceptionFilterForm(request.GET, **choices)
    status = 200
    if form.is_valid():
        filters = _filters(form, request.user)
        offset = form.cleaned_data.get("offset") or 0
    else:
        # A filter value that is not a choice (an edited link): the errors, and the open list.
        status = UNPROCESSABLE
        filters, offset = selectors.ExceptionFilters(), 0
    page = selectors.exception_list(filters=filters, offset=offset, limit=PAGE_SIZE)
    params = request.GET.copy() if status == 200 else QueryDict()
    context: dict[str, Any] = {
        "form": form,
        "rows": _rows(page.items),
        "total": page.total,
        "pagination": paginate(
            params, offset=offset, limit=PAGE_SIZE, total=page.total, shown=len(page.items)
        ),
        "base_url": reverse("workspace:exceptions"),
        "can": _can(request),
        "agents": choices["agents"],
        "resolutions": [(r.value, r.label) for r in AGENT_RESOLUTIONS],
        "results_id": RESULTS_ID,
    }
    if wants_fragment(request, RESULTS_ID):
        return render(request, "workspace/partials/_exception_results.html", context, status=status)
    context.update(counts=selectors.exception_counts(), caught=exception_metrics())
    return render(request, "workspace/exceptions.html", context, status=status)


# --- row actions --------------------------------------------------------------------------------------


def _exception(pk: int) -> DeliveryException:
    try:
        return selectors.exception_get(pk=pk)
    except NotFound:
        raise Http404(_("Delivery exception not found.")) from None


def _render_row(
    request: HttpRequest,
    pk: int,
    *,
    status: int = 200,
    assign_form: AssignForm | None = None,
    resolve_form: ResolveForm | None = None,
    agents: list[tuple[int, str]] | None = None,
    flash: str = "",
    error: str = "",
) -> HttpResponse:
    exception = _exception(pk)
    agents = agents if agents is not None else _agents()
    context = {
        "row": _rows([exception])[0],
        "can": _can(request),
        "agents": agents,
        "resolutions": [(r.value, r.label) for r in AGENT_RESOLUTIONS],
        "assign_form": assign_form,
        "resolve_form": resolve_form,
        "flash": flash,
        "error": error,
    }
    if not is_htmx(request) and status != 200:
        # Without JavaScript the row cannot be swapped: show the page with the row's error on top.
        return render(request, "workspace/exceptions_action.html", context, status=status)
    return render(request, "workspace/partials/_exception_row.html", context, status=status)


def _done(request: HttpRequest, pk: int, flash: str) -> HttpResponse:
    if is_htmx(request):
        return _render_row(request, pk, flash=flash)
    return htmx_redirect(request, reverse("workspace:exceptions"))


def _refused(
    request: HttpRequest, pk: int, form: forms.Form, error: DomainError, **forms_: Any
) -> HttpResponse:
    if isinstance(error, NotFound) and error.field == "exception":
        raise Http404(error.message)
    add_domain_error(form, error, aliases={"assignee_id": "assignee", "exception": "__all__"})
    # A refusal about the exception itself (resolved meanwhile) is shown on the row: its forms
    # are gone once it is resolved.
    general = error.message if form.non_field_errors() else ""
    return _render_row(request, pk, status=UNPROCESSABLE, error=general, **forms_)


@require_POST
@_work
def exception_assign(request: HttpRequest, pk: int) -> HttpResponse:
    _exception(pk)
    agents = _agents()
    form = AssignForm(request.POST, agents=agents)
    if not form.is_valid():
        return _render_row(request, pk, status=UNPROCESSABLE, assign_form=form, agents=agents)
    value = form.cleaned_data["assignee"]
    assignee_id = request.user.pk if value == ME else None if value == NOBODY else int(value)
    try:
        services.exception_assign(exception_id=pk, by=request.user, assignee_id=assignee_id)
    except DomainError as error:
        return _refused(request, pk, form, error, assign_form=form, agents=agents)
    return _done(request, pk, _("Assigned."))


@require_POST
@_work
def exception_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    _exception(pk)
    try:
        services.exception_acknowledge(exception_id=pk, by=request.user)
    except DomainError as error:
        return _render_row(request, pk, status=UNPROCESSABLE, error=error.message)
    return _done(request, pk, _("Acknowledged."))


@require_POST
@_work
def exception_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    _exception(pk)
    form = ResolveForm(request.POST)
    if not form.is_valid():
        return _render_row(request, pk, status=UNPROCESSABLE, resolve_form=form)
    try:
        services.exception_resolve(
            exception_id=pk,
            by=request.user,
            resolution=form.cleaned_data["resolution"],
            note=form.cleaned_data["note"],
        )
    except DomainError as error:
        return _refused(request, pk, form, error, resolve_form=form)
    label = Resolution(form.cleaned_data["resolution"]).label
    return _done(request, pk, _("Resolved: %(outcome)s.") % {"outcome": label})
