"""Every non-trivial read of customers: lists, search, the 360 view, the timeline, duplicates.

Selectors own their joins and prefetches, so a page runs the same number of queries whatever
the number of rows. Permission-scoped reads end in ``_for_user``.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Count, F, Prefetch, Q, QuerySet
from django.db.models.functions import Lower, Substr
from django.utils.translation import gettext as _

from frontline.accounts import roles
from frontline.core import search
from frontline.core.errors import NotFound

from .choices import ContactKind, CustomerStatus
from .models import Address, ContactPoint, Customer, ExternalId, Interaction, MergeRecord, Organisation, Tag

LIST_ORDERINGS: dict[str, tuple[Any, ...]] = {
    "name": ("last_name", "first_name", "id"),
    "-name": ("-last_name", "-first_name", "-id"),
    "created": ("created_at", "id"),
    "-created": ("-created_at", "-id"),
    # Customers never contacted sort as the oldest, on SQLite and PostgreSQL alike (PostgreSQL
    # puts NULLs first in descending order by default).
    "last_interaction": (F("last_interaction_at").asc(nulls_first=True), "id"),
    "-last_interaction": (F("last_interaction_at").desc(nulls_last=True), "-id"),
}


def _with_primary_contacts(qs: QuerySet[Customer]) -> QuerySet[Customer]:
    return qs.select_related("organisation").prefetch_related(
        Prefetch(
            "contact_points",
            queryset=ContactPoint.objects.filter(
                is_primary=True, kind__in=[ContactKind.EMAIL, ContactKind.PHONE]
            ),
            to_attr="primary_contacts",
        ),
        "tags",
    )


def primary_value(customer: Customer, kind: str) -> str:
    for point in getattr(customer, "primary_contacts", []):
        if point.kind == kind:
            return point.value
    return ""


def customers_visible_to(user: Any) -> QuerySet[Customer]:
    """Staff with the view permission see every customer; a customer sees only their own record."""
    if not user.is_authenticated:
        return Customer.objects.none()
    if user.has_perm(roles.CUSTOMER_VIEW):
        return Customer.objects.all()
    return Customer.objects.filter(user=user)


@dataclass
class CustomerFilters:
    query: str = ""
    organisation_id: int | None = None
    tag: str = ""
    status: str = CustomerStatus.ACTIVE
    language: str = ""
    marketing_consent: bool | None = None
    order: str = "name"


@dataclass
class CustomerPage:
    customers: list[Customer]
    total: int
    offset: int
    limit: int
    ranked: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


def customer_list_for_user(
    *, user: Any, filters: CustomerFilters, offset: int = 0, limit: int = 50
) -> CustomerPage:
    """One page of customers for the list view and the API.

    With a search query the full-text index supplies the ranked ids: straight from the index
    when it holds exactly the filtered customers, else the best ``SEARCH_CANDIDATES`` hits
    narrowed by the filters. Either way only one page of rows is loaded, in a fixed number of
    queries: ids (or count + page), the page, then two prefetches.
    """
    qs = customers_visible_to(user)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.organisation_id:
        qs = qs.filter(organisation_id=filters.organisation_id)
    if filters.tag:
        qs = qs.filter(tags__name=filters.tag.lower())
    if filters.language:
        qs = qs.filter(language=filters.language)
    if filters.marketing_consent is not None:
        qs = qs.filter(marketing_consent=filters.marketing_consent)

    if filters.query.strip():
        if user.has_perm(roles.CUSTOMER_VIEW) and _index_is_the_list(filters):
            # The index's ranking and count are the answer: read one page of ids from it.
            ids = search.search_ids("customer", filters.query, limit=limit, offset=offset)
            rows = {c.pk: c for c in _with_primary_contacts(qs.filter(pk__in=ids))} if ids else {}
            total = search.count_matches("customer", filters.query)
            return CustomerPage([rows[pk] for pk in ids if pk in rows], total, offset, limit, ranked=True)
        # Filters narrow the index's best candidates: ids first, then load only the page.
        ids = search.search_ids("customer", filters.query, limit=SEARCH_CANDIDATES)
        visible = set(qs.filter(pk__in=ids).values_list("pk", flat=True)) if ids else set()
        matching = [pk for pk in ids if pk in visible]
        page_ids = matching[offset : offset + limit]
        rows = (
            {c.pk: c for c in _with_primary_contacts(Customer.objects.filter(pk__in=page_ids))}
            if page_ids
            else {}
        )
        return CustomerPage(
            [rows[pk] for pk in page_ids if pk in rows], len(matching), offset, limit, ranked=True
        )

    ordering = LIST_ORDERINGS.get(filters.order, LIST_ORDERINGS["name"])
    total = qs.count()
    page = list(_with_primary_contacts(qs.order_by(*ordering))[offset : offset + limit])
    return CustomerPage(page, total, offset, limit)


# How many best-ranked search hits a filtered search considers (and so the largest count it reports).
SEARCH_CANDIDATES = 2000


def _index_is_the_list(filters: CustomerFilters) -> bool:
    """Whether the search index holds exactly the customers these filters select.

    The index holds every customer but merged ones, blocked included: so "any status" matches
    it, and "active" only while no customer is blocked. Any other filter narrows it.
    """
    if filters.organisation_id or filters.tag or filters.language or filters.marketing_consent is not None:
        return False
    if not filters.status:
        return True
    return (
        filters.status == CustomerStatus.ACTIVE
        and not Customer.objects.filter(status=CustomerStatus.BLOCKED).exists()
    )


def customer_quick_search(*, user: Any, query: str, limit: int = 8) -> list[Customer]:
    """Header search as you type: name, email, phone, organisation or external id."""
    if not user.has_perm(roles.CUSTOMER_VIEW) or len(query.strip()) < 2:
        return []
    ids = search.search_ids("customer", query, limit=limit)
    rows = {c.pk: c for c in _with_primary_contacts(Customer.objects.filter(pk__in=ids))}
    return [rows[pk] for pk in ids if pk in rows]


def customer_get_for_user(*, user: Any, pk: int) -> Customer:
    """The customer with everything the 360 page and the API detail show, in fixed queries."""
    qs = (
        customers_visible_to(user)
        .select_related("organisation", "merged_into", "user")
        .prefetch_related("contact_points", "addresses", "tags", "external_ids")
    )
    try:
        return qs.get(pk=pk)
    except Customer.DoesNotExist:
        raise NotFound("Customer not found.", field="customer") from None


@dataclass
class TimelineFilters:
    kinds: list[str] = field(default_factory=list)
    channel: str = ""
    include_internal: bool = True
    before: datetime | None = None
    before_id: int | None = None


def customer_timeline(*, customer_id: int, filters: TimelineFilters, limit: int = 50) -> list[Interaction]:
    """The newest ``limit`` timeline entries, keyset-paginated by (occurred_at, id)."""
    qs = Interaction.objects.filter(customer_id=customer_id).select_related("actor", "source_type")
    if filters.kinds:
        qs = qs.filter(kind__in=filters.kinds)
    if filters.channel:
        qs = qs.filter(channel=filters.channel)
    if not filters.include_internal:
        qs = qs.filter(is_internal=False)
    if filters.before is not None:
        if filters.before_id is not None:
            qs = qs.filter(
                Q(occurred_at__lt=filters.before) | Q(occurred_at=filters.before, id__lt=filters.before_id)
            )
        else:
            qs = qs.filter(occurred_at__lt=filters.before)
    return list(qs.order_by("-occurred_at", "-id")[:limit])


def customer_timeline_counts(*, customer_id: int) -> dict[str, int]:
    rows = (
        Interaction.objects.filter(customer_id=customer_id).values("kind").annotate(n=Count("id")).order_by()
    )
    return {row["kind"]: row["n"] for row in rows}


def customer_merges(*, customer_id: int) -> list[MergeRecord]:
    return list(
        MergeRecord.objects.filter(Q(survivor_id=customer_id) | Q(merged_id=customer_id))
        .select_related("survivor", "merged", "merged_by", "reversed_by")
        .order_by("-merged_at")
    )


# --- duplicates -----------------------------------------------------------------------------


@dataclass
class DuplicateCandidate:
    customer: Customer
    reasons: list[str]
    score: float


NAME_SIMILARITY = 0.85


def _name_key(customer: Customer) -> str:
    return f"{customer.first_name} {customer.last_name}".strip().casefold()


def _name_similarity(a: Customer, b: Customer) -> float:
    return difflib.SequenceMatcher(None, _name_key(a), _name_key(b)).ratio()


def customer_duplicate_candidates(*, customer: Customer, limit: int = 10) -> list[DuplicateCandidate]:
    """Active customers that may be the same person: same email or phone, or a similar name."""
    reasons: dict[int, list[str]] = {}
    scores: dict[int, float] = {}
    contacts = [(p.kind, p.normalized) for p in customer.contact_points.all() if p.kind != ContactKind.SOCIAL]
    if contacts:
        match = Q()
        for kind, normalized in contacts:
            match |= Q(kind=kind, normalized=normalized)
        shared = (
            ContactPoint.objects.filter(match)
            .exclude(customer_id=customer.pk)
            .filter(customer__status=CustomerStatus.ACTIVE)
            .values_list("customer_id", "kind", "value")[:200]
        )
        for other_id, kind, value in shared:
            label = "same email" if kind == ContactKind.EMAIL else "same phone"
            reasons.setdefault(other_id, []).append(f"{label} ({value})")
            scores[other_id] = scores.get(other_id, 0) + 1.0
    if customer.last_name and customer.first_name:
        similar = (
            Customer.objects.filter(status=CustomerStatus.ACTIVE)
            .exclude(pk=customer.pk)
            .filter(last_name__iexact=customer.last_name, first_name__istartswith=customer.first_name[:1])[
                :200
            ]
        )
        for other in similar:
            ratio = _name_similarity(customer, other)
            if ratio >= NAME_SIMILARITY:
                reasons.setdefault(other.pk, []).append(f"similar name ({other.full_name})")
                scores[other.pk] = scores.get(other.pk, 0) + ratio
    if not reasons:
        return []
    best = sorted(reasons, key=lambda pk: (-scores[pk], pk))[:limit]
    rows = {c.pk: c for c in _with_primary_contacts(Customer.objects.filter(pk__in=best))}
    return [DuplicateCandidate(rows[pk], reasons[pk], round(scores[pk], 2)) for pk in best if pk in rows]


@dataclass
class DuplicatePair:
    first: Customer
    second: Customer
    reason: str


def duplicate_pairs(*, limit: int = 50) -> list[DuplicatePair]:
    """Pairs of active customers sharing an email/phone, or with near-identical names.

    Grouped in the database (indexed columns), so it stays cheap on large customer bases.
    """
    pairs: list[tuple[int, int, str]] = []
    seen: set[tuple[int, int]] = set()
    shared = (
        ContactPoint.objects.filter(
            customer__status=CustomerStatus.ACTIVE, kind__in=[ContactKind.EMAIL, ContactKind.PHONE]
        )
        .values("kind", "normalized")
        .annotate(n=Count("customer_id", distinct=True))
        .filter(n__gt=1)
        .order_by("-n", "normalized")[:limit]
    )
    groups = [(row["kind"], row["normalized"]) for row in shared]
    if groups:
        match = Q()
        for kind, normalized in groups:
            match |= Q(kind=kind, normalized=normalized)
        members: dict[tuple[str, str], list[int]] = {}
        for kind, normalized, customer_id in (
            ContactPoint.objects.filter(match, customer__status=CustomerStatus.ACTIVE)
            .values_list("kind", "normalized", "customer_id")
            .order_by("customer_id")
        ):
            members.setdefault((kind, normalized), []).append(customer_id)
        for (kind, normalized), ids in members.items():
            first = ids[0]
            for other in ids[1:]:
                key = (first, other)
                if key not in seen:
                    seen.add(key)
                    pairs.append((first, other, f"same {kind}: {normalized}"))
    if len(pairs) < limit:
        blocks = (
            Customer.objects.filter(status=CustomerStatus.ACTIVE)
            .exclude(last_name="")
            .annotate(last=Lower("last_name"), initial=Lower(Substr("first_name", 1, 1)))
            .values("last", "initial")
            .annotate(n=Count("id"))
            .filter(n__gt=1, n__lte=20)
            .order_by("-n", "last")[: limit * 2]
        )
        block_q = Q()
        keys = [(b["last"], b["initial"]) for b in blocks]
        for last, initial in keys:
            block_q |= Q(last_name__iexact=last, first_name__istartswith=initial)
        if keys:
            by_block: dict[tuple[str, str], list[Customer]] = {}
            for customer in Customer.objects.filter(block_q, status=CustomerStatus.ACTIVE).order_by("pk"):
                by_block.setdefault(
                    (customer.last_name.casefold(), customer.first_name[:1].casefold()), []
                ).append(customer)
            for members_list in by_block.values():
                for i, a in enumerate(members_list):
                    for b in members_list[i + 1 :]:
                        if (a.pk, b.pk) not in seen and _name_similarity(a, b) >= NAME_SIMILARITY:
                            seen.add((a.pk, b.pk))
                            pairs.append((a.pk, b.pk, "similar name"))
    pairs = pairs[:limit]
    pair_ids = {pk for a, b, _r in pairs for pk in (a, b)}
    rows = {c.pk: c for c in _with_primary_contacts(Customer.objects.filter(pk__in=pair_ids))}
    return [DuplicatePair(rows[a], rows[b], reason) for a, b, reason in pairs if a in rows and b in rows]


def duplicate_contact_groups_count(*, cap: int = 1000) -> int:
    """How many emails/phones are shared by more than one active customer (one query).

    The dashboards show this as the size of the duplicates backlog; ``duplicate_pairs`` lists them.
    """
    shared = (
        ContactPoint.objects.filter(
            customer__status=CustomerStatus.ACTIVE, kind__in=[ContactKind.EMAIL, ContactKind.PHONE]
        )
        .values("kind", "normalized")
        .annotate(n=Count("customer_id", distinct=True))
        .filter(n__gt=1)
        .order_by()
    )
    return shared[:cap].count()


# --- small lookups for forms and filters ----------------------------------------------------


def organisation_names(*, prefix: str, limit: int = 15) -> list[str]:
    """Organisation names starting with ``prefix``, for autocomplete."""
    prefix = prefix.strip()
    if not prefix:
        return []
    return list(
        Organisation.objects.filter(name__istartswith=prefix)
        .order_by("name")
        .values_list("name", flat=True)[:limit]
    )


def organisation_get_by_name(*, name: str) -> Organisation | None:
    name = name.strip()
    if not name:
        return None
    return Organisation.objects.filter(name__iexact=name).order_by("pk").first()


def tag_names(*, limit: int = 500) -> list[str]:
    return list(Tag.objects.order_by("name").values_list("name", flat=True)[:limit])


# --- merge preview --------------------------------------------------------------------------


@dataclass
class MergePreview:
    """What ``services.customer_merge(survivor_id=survivor.pk, merged_id=merged.pk)`` would do.

    Mirrors the service's rules; ``test_views`` checks the preview against a real merge.
    """

    survivor: Customer
    merged: Customer
    contacts_moving: list[ContactPoint]
    contacts_staying: list[ContactPoint]  # the survivor already has them; they stay behind
    contacts_demoted: set[int]  # moving, but the survivor keeps its own primary
    addresses_moving: list[Address]
    addresses_demoted: set[int]
    external_ids_moving: list[ExternalId]
    external_ids_staying: list[ExternalId]  # the survivor has an id in that system already
    tags_added: list[Tag]
    filled: list[tuple[str, str]]  # (field label, value taken from the merged record)
    kept: list[tuple[str, str, str]]  # (field label, survivor's value kept, merged value dropped)
    interactions_moving: int
    login_moving: bool
    other_apps: list[str]


def _field_label(name: str) -> str:
    return str(getattr(Customer._meta.get_field(name), "verbose_name", name))


def _display(customer: Customer, name: str) -> str:
    if name == "organisation":
        return customer.organisation.name if customer.organisation_id else ""  # type: ignore[union-attr]
    value = getattr(customer, name)
    display = getattr(customer, f"get_{name}_display", None)
    if display is not None:
        return str(display())
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    return str(value or "")


def customer_merge_preview(*, survivor: Customer, merged: Customer) -> MergePreview:
    """Both customers come from ``customer_get_for_user`` (contacts, addresses, tags and ids
    prefetched); this adds one query, the timeline size of ``merged``."""
    from .services import MERGE_FILLABLE, MERGE_HANDLERS

    survivor_contacts = {(p.kind, p.normalized) for p in survivor.contact_points.all()}
    survivor_primaries = {p.kind for p in survivor.contact_points.all() if p.is_primary}
    moving, staying, demoted = [], [], set()
    for point in merged.contact_points.all():
        if (point.kind, point.normalized) in survivor_contacts:
            staying.append(point)
            continue
        moving.append(point)
        if point.is_primary and point.kind in survivor_primaries:
            demoted.add(point.pk)

    address_primaries = {a.kind for a in survivor.addresses.all() if a.is_primary}
    addresses = list(merged.addresses.all())
    addresses_demoted = {a.pk for a in addresses if a.is_primary and a.kind in address_primaries}

    systems = {e.system for e in survivor.external_ids.all()}
    ext_moving = [e for e in merged.external_ids.all() if e.system not in systems]
    ext_staying = [e for e in merged.external_ids.all() if e.system in systems]

    survivor_tags = {t.pk for t in survivor.tags.all()}
    tags_added = [t for t in merged.tags.all() if t.pk not in survivor_tags]

    filled: list[tuple[str, str]] = []
    kept: list[tuple[str, str, str]] = []
    for name in (*MERGE_FILLABLE, "organisation"):
        mine, theirs = _display(survivor, name), _display(merged, name)
        if not mine and theirs:
            filled.append((_field_label(name), theirs))
        elif mine and theirs and mine != theirs:
            kept.append((_field_label(name), mine, theirs))
    for name in ("status", "language", "time_zone", "preferred_channel", "marketing_consent"):
        mine, theirs = _display(survivor, name), _display(merged, name)
        if mine != theirs:
            kept.append((_field_label(name), mine, theirs))

    return MergePreview(
        survivor=survivor,
        merged=merged,
        contacts_moving=moving,
        contacts_staying=staying,
        contacts_demoted=demoted,
        addresses_moving=addresses,
        addresses_demoted=addresses_demoted,
        external_ids_moving=ext_moving,
        external_ids_staying=ext_staying,
        tags_added=tags_added,
        filled=filled,
        kept=kept,
        interactions_moving=Interaction.objects.filter(customer_id=merged.pk).count(),
        login_moving=bool(merged.user_id and not survivor.user_id),
        other_apps=sorted(MERGE_HANDLERS),
    )


# --- parts of one customer (the API addresses them under the customer's URL) ----------------


def contact_point_get(*, customer_id: int, pk: int) -> ContactPoint:
    point = ContactPoint.objects.filter(customer_id=customer_id, pk=pk).first()
    if point is None:
        raise NotFound("Contact point not found.", field="contact_id")
    return point


def address_get(*, customer_id: int, pk: int) -> Address:
    address = Address.objects.filter(customer_id=customer_id, pk=pk).first()
    if address is None:
        raise NotFound("Address not found.", field="address_id")
    return address


def external_id_get(*, customer_id: int, system: str) -> ExternalId:
    ext = ExternalId.objects.filter(customer_id=customer_id, system=system.strip().lower()).first()
    if ext is None:
        raise NotFound("This customer has no id in that system.", field="system")
    return ext


# --- organisations --------------------------------------------------------------------------


@dataclass
class OrganisationPage:
    organisations: list[Organisation]
    total: int
    offset: int
    limit: int


def organisation_list(*, query: str = "", offset: int = 0, limit: int = 50) -> OrganisationPage:
    """One page of organisations by name; ``query`` matches name or domain, or an exact external id."""
    qs = Organisation.objects.all()
    query = query.strip()
    if query:
        qs = qs.filter(Q(name__icontains=query) | Q(domain__icontains=query) | Q(external_id=query))
    total = qs.count()
    return OrganisationPage(list(qs.order_by("name", "id")[offset : offset + limit]), total, offset, limit)
