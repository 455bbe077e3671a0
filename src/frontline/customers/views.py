"""Staff pages of the customer 360 slice: list, 360 page, create/edit, contacts, merge.

Each view serves the full page and its HTMX fragments from one code path: the fragment is
chosen by ``HX-Target``; the context is the same. Objects are loaded through selectors (which
scope them to the user) and every write goes through ``services``; a ``DomainError`` becomes a
form error with status 422.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import quote

from django.contrib import messages
from django.contrib.humanize.templatetags.humanize import naturaltime
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import dateformat, formats, timezone
from django.utils.html import escape
from django.utils.http import urlencode
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from frontline.accounts import roles
from frontline.audit.selectors import audit_for_object
from frontline.core.access import require_permissions
from frontline.core.errors import DomainError, NotFound
from frontline.core.forms import add_domain_error
from frontline.core.htmx import htmx_redirect, is_htmx, wants_fragment
from frontline.core.pagination import paginate

from . import selectors, services
from .choices import Channel, ContactKind, CustomerStatus, InteractionKind
from .forms import (
    PAGE_SIZES,
    AddressForm,
    ContactForm,
    CustomerFilterForm,
    CustomerForm,
    ExternalIdForm,
    InteractionForm,
    MergeForm,
    TimelineFilterForm,
)
from .models import Customer

TIMELINE_PAGE = 25
UNPROCESSABLE = 422


def staff_required(*permissions: str) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Signed in (else the login page), staff (roles.WORKSPACE) and ``permissions`` (else 403)."""
    return require_permissions(roles.WORKSPACE, *permissions)


def _customer(request: HttpRequest, pk: int) -> Customer:
    try:
        return selectors.customer_get_for_user(user=request.user, pk=pk)
    except NotFound:
        raise Http404(_("Customer not found.")) from None


def _redirect(request: HttpRequest, url: str) -> HttpResponse:
    return htmx_redirect(request, url)


def _can(request: HttpRequest, permission: str) -> bool:
    return request.user.has_perm(permission)


# --- list -----------------------------------------------------------------------------------


def customer_rows_html(customers: Sequence[Customer]) -> SafeString:
    """The list's table rows, written here rather than in a template loop: 25 rows of template
    tags and filters cost more CPU than the rest of the request together. Every value goes
    through ``escape``; dates are shown in the current time zone and locale, as the template
    filters would."""
    list_url = reverse("customers:customer_list")
    org_title = escape(_("Customers of this organisation"))
    short_date = formats.get_format("SHORT_DATE_FORMAT")
    long_date = formats.get_format("DATETIME_FORMAT")
    rows = []
    for customer in customers:
        cells = [
            '<tr><td><a class="fw-semibold link-underline link-underline-opacity-0 '
            f'link-underline-opacity-75-hover" href="{escape(customer.get_absolute_url())}">'
            f"{escape(str(customer))}</a>"
        ]
        if customer.status != CustomerStatus.ACTIVE:
            tone = "danger" if customer.status == CustomerStatus.BLOCKED else "secondary"
            cells.append(
                f' <span class="badge text-bg-{tone}">{escape(customer.get_status_display())}</span>'
            )
        if customer.job_title:
            cells.append(f'<div class="small text-body-secondary">{escape(customer.job_title)}</div>')
        cells.append("</td><td>")
        organisation = customer.organisation if customer.organisation_id else None
        if organisation is not None:
            cells.append(
                '<a class="link-secondary link-underline-opacity-0 link-underline-opacity-75-hover" '
                f'title="{org_title}" href="{list_url}?org={escape(quote(organisation.name))}">'
                f"{escape(organisation.name)}</a>"
            )
        cells.append("</td><td>")
        email = selectors.primary_value(customer, ContactKind.EMAIL)
        if email:
            cells.append(
                '<a class="link-body-emphasis link-underline-opacity-0 link-underline-opacity-75-hover" '
                f'href="mailto:{escape(email)}">{escape(email)}</a>'
            )
        cells.append(
            f'</td><td class="text-nowrap">{escape(selectors.primary_value(customer, ContactKind.PHONE))}</td><td>'
        )
        cells.extend(
            f'<span class="badge rounded-pill text-bg-light border">{escape(tag.name)}</span> '
            for tag in customer.tags.all()
        )
        cells.append('</td><td class="text-nowrap">')
        if customer.last_interaction_at:
            last = timezone.localtime(customer.last_interaction_at)
            cells.append(
                f'<time datetime="{last.isoformat()}" title="{escape(dateformat.format(last, long_date))}">'
                f"{escape(naturaltime(customer.last_interaction_at))}</time>"
            )
        else:
            cells.append('<span class="text-body-secondary">—</span>')
        created = timezone.localtime(customer.created_at)
        cells.append(
            f'</td><td class="text-nowrap"><time datetime="{created.isoformat()}">'
            f"{escape(dateformat.format(created, short_date))}</time></td></tr>"
        )
        rows.append("".join(cells))
    return mark_safe("".join(rows))


@require_GET
@staff_required(roles.CUSTOMER_VIEW)
def customer_list(request: HttpRequest) -> HttpResponse:
    form = CustomerFilterForm(request.GET, tags=selectors.tag_names())
    form.is_valid()
    organisation = None
    org_name = form.value("org", "")
    if org_name:
        organisation = selectors.organisation_get_by_name(name=org_name)
    filters = form.filters(organisation.pk if organisation else None)
    limit = form.value("limit", PAGE_SIZES[0])
    offset = form.value("offset", 0)
    if org_name and organisation is None:
        page = selectors.CustomerPage([], 0, offset, limit)
    else:
        page = selectors.customer_list_for_user(
            user=request.user, filters=filters, offset=offset, limit=limit
        )
    context = {
        "form": form,
        "page": page,
        "rows_html": customer_rows_html(page.customers),
        "filters": filters,
        "organisation": organisation,
        "unknown_org": bool(org_name and organisation is None),
        "pagination": paginate(
            request.GET, offset=offset, limit=limit, total=page.total, shown=len(page.customers)
        ),
        "sort": filters.order,
        "is_filtered": any(form.value(name) for name in ("q", "org", "tag", "language", "consent"))
        or form.value("status", CustomerStatus.ACTIVE) != CustomerStatus.ACTIVE,
        "can_add": _can(request, roles.CUSTOMER_ADD),
    }
    if wants_fragment(request, "customer-results"):
        return render(request, "customers/partials/_customer_results.html", context)
    return render(request, "customers/customer_list.html", context)


@require_GET
@staff_required(roles.CUSTOMER_VIEW)
def organisation_options(request: HttpRequest) -> HttpResponse:
    """``<option>``s of organisation names for an input's ``<datalist>`` (autocomplete)."""
    prefix = request.GET.get("organisation") or request.GET.get("org") or request.GET.get("q") or ""
    names = selectors.organisation_names(prefix=prefix[:200])
    return render(request, "customers/partials/_organisation_options.html", {"names": names})


# --- the 360 page ---------------------------------------------------------------------------


def _timeline_context(request: HttpRequest, customer: Customer, *, panel: bool = True) -> dict[str, Any]:
    """The timeline entries for the filters in the query string; with ``panel``, also what the
    filter bar shows (kinds with their counts)."""
    form = TimelineFilterForm(request.GET)
    filters = form.filters()
    entries = selectors.customer_timeline(customer_id=customer.pk, filters=filters, limit=TIMELINE_PAGE + 1)
    more = len(entries) > TIMELINE_PAGE
    entries = entries[:TIMELINE_PAGE]
    base = reverse("customers:customer_detail", args=[customer.pk])
    older_url = ""
    if more:
        older = request.GET.copy()
        older["before"] = entries[-1].occurred_at.isoformat()
        older["before_id"] = str(entries[-1].pk)
        older_url = f"{base}?{older.urlencode()}"
    context: dict[str, Any] = {
        "customer": customer,
        "timeline": entries,
        "timeline_filters": filters,
        "timeline_older_url": older_url,
        "timeline_base_url": base,
    }
    if panel:
        counts = selectors.customer_timeline_counts(customer_id=customer.pk)
        context["timeline_kind_choices"] = [
            (kind.value, kind.label, counts.get(kind.value, 0), kind.value in filters.kinds)
            for kind in InteractionKind
        ]
        context["timeline_total"] = sum(counts.values())
        context["channel_choices"] = Channel.choices
    return context


def _detail_context(
    request: HttpRequest, customer: Customer, *, interaction_form: InteractionForm | None = None
) -> dict[str, Any]:
    active = customer.status != CustomerStatus.MERGED
    can_change = _can(request, roles.CUSTOMER_CHANGE) and active
    can_merge = _can(request, roles.CUSTOMER_MERGE)
    return {
        **_timeline_context(request, customer),
        "contacts": _grouped_contacts(customer),
        "merges": selectors.customer_merges(customer_id=customer.pk),
        "duplicates": selectors.customer_duplicate_candidates(customer=customer) if active else [],
        "audit_entries": audit_for_object(customer, limit=10),
        "interaction_form": interaction_form or (InteractionForm() if can_change else None),
        "can_change": can_change,
        "can_merge": can_merge and active,
        "can_unmerge": can_merge,
    }


def _grouped_contacts(customer: Customer) -> list[tuple[str, str, list[Any]]]:
    groups: dict[str, list[Any]] = {kind: [] for kind in ContactKind.values}
    for point in customer.contact_points.all():
        groups.setdefault(point.kind, []).append(point)
    return [(kind, str(ContactKind(kind).label), points) for kind, points in groups.items() if points]


@require_GET
@staff_required(roles.CUSTOMER_VIEW)
def customer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    customer = _customer(request, pk)
    if wants_fragment(request, "timeline-more"):
        # "Load older": the next entries and a new "load older" button.
        context = _timeline_context(request, customer, panel=False)
        return render(request, "customers/partials/_timeline_items.html", context)
    if wants_fragment(request, "timeline"):
        # Timeline filters and live updates re-render the timeline panel only.
        return render(request, "customers/partials/_timeline.html", _timeline_context(request, customer))
    return render(request, "customers/customer_detail.html", _detail_context(request, customer))


@require_POST
@staff_required(roles.CUSTOMER_CHANGE)
def interaction_log(request: HttpRequest, pk: int) -> HttpResponse:
    customer = _customer(request, pk)
    form = InteractionForm(request.POST)
    if form.is_valid():
        try:
            services.interaction_log(customer_id=customer.pk, by=request.user, **form.service_kwargs())
        except DomainError as error:
            add_domain_error(form, error)
        else:
            if is_htmx(request):
                response = render(
                    request,
                    "customers/partials/_interaction_form.html",
                    {"customer": customer, "interaction_form": InteractionForm(), "logged": True},
                )
                response["HX-Trigger"] = "timeline-changed"
                return response
            messages.success(request, _("Interaction logged."))
            return _redirect(request, customer.get_absolute_url())
    if is_htmx(request):
        return render(
            request,
            "customers/partials/_interaction_form.html",
            {"customer": customer, "interaction_form": form},
            status=UNPROCESSABLE,
        )
    return render(
        request,
        "customers/customer_detail.html",
        _detail_context(request, customer, interaction_form=form),
        status=UNPROCESSABLE,
    )


# --- create and edit ------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@staff_required(roles.CUSTOMER_ADD)
def customer_create(request: HttpRequest) -> HttpResponse:
    form = CustomerForm(request.POST or None, creating=True, initial={"language": "en", "time_zone": "UTC"})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            contacts: list[services.ContactInput] = []
            aliases: dict[str, str] = {}
            for name in ("email", "phone"):
                if data[name]:
                    aliases[f"contacts[{len(contacts)}]"] = name
                    contacts.append(services.ContactInput(kind=name, value=data[name]))
            try:
                customer = services.customer_create(
                    by=request.user,
                    data=services.CustomerInput(
                        first_name=data["first_name"],
                        last_name=data["last_name"],
                        organisation_name=data["organisation"],
                        job_title=data["job_title"],
                        language=data["language"],
                        time_zone=data["time_zone"],
                        preferred_channel=data["preferred_channel"],
                        marketing_consent=data["marketing_consent"],
                        notes=data["notes"],
                        tags=data["tags"],
                        contacts=contacts,
                    ),
                )
            except DomainError as error:
                add_domain_error(form, error, aliases={**aliases, "organisation_id": "organisation"})
            else:
                messages.success(request, _("Customer %(name)s created.") % {"name": customer})
                return _redirect(request, customer.get_absolute_url())
        status = UNPROCESSABLE
    context = {"form": form, "customer": None}
    if wants_fragment(request, "customer-form"):
        return render(request, "customers/partials/_customer_form.html", context, status=status)
    return render(request, "customers/customer_form.html", context, status=status)


def _edit_context(request: HttpRequest, customer: Customer, **forms: Any) -> dict[str, Any]:
    return {
        "customer": customer,
        "form": forms.get("form")
        or CustomerForm(
            initial=CustomerForm.initial_for(customer), creating=False, current_language=customer.language
        ),
        "contacts": _grouped_contacts(customer),
        "contact_form": forms.get("contact_form") or ContactForm(),
        "address_form": forms.get("address_form") or AddressForm(),
        "external_id_form": forms.get("external_id_form") or ExternalIdForm(),
        "editable": customer.status != CustomerStatus.MERGED,
    }


@require_http_methods(["GET", "POST"])
@staff_required(roles.CUSTOMER_CHANGE)
def customer_edit(request: HttpRequest, pk: int) -> HttpResponse:
    customer = _customer(request, pk)
    status = 200
    form = None
    if request.method == "POST":
        form = CustomerForm(request.POST, creating=False, current_language=customer.language)
        if form.is_valid():
            try:
                services.customer_update(
                    customer_id=customer.pk,
                    by=request.user,
                    changes=form.profile_changes(),
                    organisation_name=form.cleaned_data["organisation"],
                    tags=form.cleaned_data["tags"],
                )
            except DomainError as error:
                add_domain_error(
                    form, error, aliases={"organisation_id": "organisation", "customer": "__all__"}
                )
            else:
                messages.success(request, _("Changes to %(name)s saved.") % {"name": customer})
                return _redirect(request, customer.get_absolute_url())
        status = UNPROCESSABLE
    context = _edit_context(request, customer, form=form)
    if wants_fragment(request, "customer-form"):
        return render(request, "customers/partials/_customer_form.html", context, status=status)
    return render(request, "customers/customer_form.html", context, status=status)


# Contact points, addresses and external ids: small forms on the edit page. Each replies with
# its section (HTMX) or goes back to the edit page; on a refusal the section shows the error.

_SECTIONS = {
    "contacts": ("contact-points", "customers/partials/_contact_points.html", "contact_form"),
    "addresses": ("addresses", "customers/partials/_addresses.html", "address_form"),
    "external_ids": ("external-ids", "customers/partials/_external_ids.html", "external_id_form"),
}


def _section_response(
    request: HttpRequest,
    customer_pk: int,
    section: str,
    *,
    form: Any = None,
    error: DomainError | None = None,
) -> HttpResponse:
    """After a change to one section: the fresh section (HTMX) or back to the edit page; after a
    refusal: the section, or the whole edit page, with the form's errors and status 422."""
    _target, template, form_name = _SECTIONS[section]
    failed = error is not None or (form is not None and bool(form.errors))
    if not failed and not is_htmx(request):
        messages.success(request, _("Saved."))
        return _redirect(request, reverse("customers:customer_edit", args=[customer_pk]))
    customer = _customer(request, customer_pk)  # fresh, after the change
    context = _edit_context(request, customer, **({form_name: form} if failed and form is not None else {}))
    context[f"{section}_error"] = error.message if (error is not None and form is None) else ""
    status = UNPROCESSABLE if failed else 200
    if is_htmx(request):
        return render(request, template, context, status=status)
    return render(request, "customers/customer_form.html", context, status=status)


def _part(request: HttpRequest, pk: int, items: str, item_pk: int) -> tuple[Customer, Any]:
    """The customer (scoped to the user) and one of its contact points/addresses/ids."""
    customer = _customer(request, pk)
    for item in getattr(customer, items).all():
        if item.pk == item_pk:
            return customer, item
    raise Http404(_("Not found."))


@require_POST
@staff_required(roles.CUSTOMER_CHANGE)
def contact_add(request: HttpRequest, pk: int) -> HttpResponse:
    customer = _customer(request, pk)
    form = ContactForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.contact_point_add(
                customer_id=customer.pk,
                by=request.user,
                contact=services.ContactInput(
                    kind=data["kind"],
                    value=data["value"],
                    platform=data["platform"],
                    label=data["label"],
                    is_primary=data["is_primary"],
                ),
            )
        except DomainError as error:
            add_domain_error(form, error, aliases={"customer": "__all__"})
            return _section_response(request, customer.pk, "contacts", form=form, error=error)
        return _section_response(request, customer.pk, "contacts")
    return _section_response(request, customer.pk, "contacts", form=form)


def _simple_action(
    request: HttpRequest, pk: int, section: str, items: str, item_pk: int, action: Callable[[Any], Any]
) -> HttpResponse:
    customer, item = _part(request, pk, items, item_pk)
    try:
        action(item)
    except DomainError as error:
        return _section_response(request, customer.pk, section, error=error)
    return _section_response(request, customer.pk, section)


@require_POST
@staff_required(roles.CUSTOMER_CHANGE)
def contact_remove(request: HttpRequest, pk: int, contact_pk: int) -> HttpResponse:
    return _simple_action(
        request, pk, "contacts", "contact_points", contact_pk,
        lambda point: services.contact_point_remove(contact_point_id=point.pk, by=request.user),
    )  # fmt: skip


@require_POST
@staff_required(roles.CUSTOMER_CHANGE)
def contact_primary(request: HttpRequest, pk: int, contact_pk: int) -> HttpResponse:
    return _simple_action(
        request, pk, "contacts", "contact_points", contact_pk,
        lambda point: services.contact_point_set_primary(contact_point_id=point.pk, by=request.user),
    )  # fmt: skip


@require_POST
@staff_required(roles.CUSTOMER_CHANGE)
def address_add(request: HttpRequest, pk: int) -> HttpResponse:
    customer = _customer(request, pk)
    form = AddressForm(request.POST)
    if form.is_valid():
        try:
            services.address_add(
                customer_id=customer.pk, by=request.user, address=services.AddressInput(**form.cleaned_data)
            )
        except DomainError as error:
            add_domain_error(form, error, aliases={"customer": "__all__"})
            return _section_response(request, customer.pk, "addresses", form=form, error=error)
        return _section_response(request, customer.pk, "addresses")
    return _section_response(request, customer.pk, "addresses", form=form)


@require_POST
@staff_required(roles.CUSTOMER_CHANGE)
def address_remove(request: HttpRequest, pk: int, address_pk: int) -> HttpResponse:
    return _simple_action(
        request, pk, "addresses", "addresses", address_pk,
        lambda address: services.address_remove(address_id=address.pk, by=request.user),
    )  # fmt: skip


@require_POST
@staff_required(roles.CUSTOMER_CHANGE)
def external_id_set(request: HttpRequest, pk: int) -> HttpResponse:
    customer = _customer(request, pk)
    form = ExternalIdForm(request.POST)
    if form.is_valid():
        try:
            services.external_id_set(customer_id=customer.pk, by=request.user, **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error, aliases={"external_ids": "value", "customer": "__all__"})
            return _section_response(request, customer.pk, "external_ids", form=form, error=error)
        return _section_response(request, customer.pk, "external_ids")
    return _section_response(request, customer.pk, "external_ids", form=form)


@require_POST
@staff_required(roles.CUSTOMER_CHANGE)
def external_id_remove(request: HttpRequest, pk: int, external_id_pk: int) -> HttpResponse:
    return _simple_action(
        request, pk, "external_ids", "external_ids", external_id_pk,
        lambda ext: services.external_id_remove(external_id_id=ext.pk, by=request.user),
    )  # fmt: skip


# --- merge ----------------------------------------------------------------------------------


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and len(value) < 19 else None


@require_http_methods(["GET", "POST"])
@staff_required(roles.CUSTOMER_VIEW, roles.CUSTOMER_MERGE)
def customer_merge(request: HttpRequest, pk: int) -> HttpResponse:
    """Pick the other record, preview both side by side, choose the survivor, confirm."""
    customer = _customer(request, pk)
    params = request.POST if request.method == "POST" else request.GET
    other_pk = _int(params.get("other"))
    context: dict[str, Any] = {"customer": customer, "query": request.GET.get("q", "").strip()[:200]}
    if customer.status == CustomerStatus.MERGED:
        messages.warning(request, _("This record was already merged; merge its survivor instead."))
        return _redirect(request, customer.get_absolute_url())

    if other_pk is None or other_pk == customer.pk:
        # Step 1: find the other record.
        if context["query"]:
            page = selectors.customer_list_for_user(
                user=request.user, filters=selectors.CustomerFilters(query=context["query"]), limit=20
            )
            context["results"] = [c for c in page.customers if c.pk != customer.pk]
        context["duplicates"] = selectors.customer_duplicate_candidates(customer=customer)
        if wants_fragment(request, "merge-candidates"):
            return render(request, "customers/partials/_merge_candidates.html", context)
        return render(request, "customers/customer_merge_pick.html", context)

    other = _customer(request, other_pk)
    survivor_pk = _int(params.get("survivor")) or customer.pk
    if survivor_pk not in (customer.pk, other.pk):
        survivor_pk = customer.pk
    survivor, merged = (customer, other) if survivor_pk == customer.pk else (other, customer)
    status = 200
    form = MergeForm(
        initial={"other": other.pk, "survivor": survivor.pk, "reason": params.get("reason", "")[:255]}
    )
    if request.method == "POST":
        form = MergeForm(request.POST)
        if form.is_valid():
            try:
                services.customer_merge(
                    survivor_id=survivor.pk,
                    merged_id=merged.pk,
                    by=request.user,
                    reason=form.cleaned_data["reason"],
                )
            except DomainError as error:
                add_domain_error(form, error, aliases={"survivor_id": "__all__", "merged_id": "__all__"})
            else:
                messages.success(
                    request,
                    _("%(merged)s (#%(merged_id)s) was merged into this record.")
                    % {"merged": merged, "merged_id": merged.pk},
                )
                return _redirect(request, survivor.get_absolute_url())
        status = UNPROCESSABLE
    context.update(
        other=other,
        form=form,
        preview=selectors.customer_merge_preview(survivor=survivor, merged=merged),
        survivor=survivor,
        merged=merged,
        left=customer,
        right=other,
    )
    if wants_fragment(request, "merge-preview"):
        return render(request, "customers/partials/_merge_preview.html", context, status=status)
    return render(request, "customers/customer_merge.html", context, status=status)


@require_POST
@staff_required(roles.CUSTOMER_VIEW, roles.CUSTOMER_MERGE)
def merge_reverse(request: HttpRequest, pk: int, merge_pk: int) -> HttpResponse:
    customer = _customer(request, pk)
    record = next((m for m in selectors.customer_merges(customer_id=customer.pk) if m.pk == merge_pk), None)
    if record is None:
        raise Http404(_("Merge not found."))
    try:
        services.customer_unmerge(merge_id=record.pk, by=request.user)
    except DomainError as error:
        if is_htmx(request):
            context = {
                "customer": customer,
                "merges": selectors.customer_merges(customer_id=customer.pk),
                "can_unmerge": True,
                "merge_error": error.message,
            }
            return render(request, "customers/partials/_merge_history.html", context, status=UNPROCESSABLE)
        messages.error(request, error.message)
        return _redirect(request, customer.get_absolute_url())
    messages.success(
        request,
        _("Merge reversed: %(merged)s (#%(id)s) is a separate customer again.")
        % {"merged": record.merged, "id": record.merged_id},
    )
    return _redirect(request, customer.get_absolute_url())


@require_GET
@staff_required(roles.CUSTOMER_VIEW, roles.CUSTOMER_MERGE)
def duplicate_list(request: HttpRequest) -> HttpResponse:
    pairs = selectors.duplicate_pairs(limit=100)
    rows = [
        (
            pair,
            f"{reverse('customers:customer_merge', args=[pair.first.pk])}?{urlencode({'other': pair.second.pk})}",
        )
        for pair in pairs
    ]
    return render(request, "customers/duplicate_list.html", {"rows": rows})
