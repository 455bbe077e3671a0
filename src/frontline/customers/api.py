"""The customers REST API: /api/v1/customers and /api/v1/organisations.

Thin: the schemas check shape, the selectors read (with the caller's visibility), the services
write. Permissions follow the caller's role: CUSTOMER_VIEW reads, CUSTOMER_ADD creates,
CUSTOMER_CHANGE edits, CUSTOMER_MERGE merges. A portal customer reads only their own record
(anything else is 404) and writes nothing (403).
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from enum import StrEnum
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.params import functions as param
from ninja.responses import Status

from frontline.accounts import roles
from frontline.core.api import MAX_ID, MAX_OFFSET, page_links, require_perm, responses
from frontline.core.errors import DomainError, NotFound

from . import selectors, services
from .choices import Channel, CustomerStatus, InteractionKind
from .schemas import (
    AddressIn,
    AddressOut,
    ContactIn,
    ContactOut,
    CustomerCreateIn,
    CustomerDetail,
    CustomerListItem,
    CustomerPage,
    CustomerPatchIn,
    DuplicateOut,
    ExternalIdIn,
    ExternalIdOut,
    InteractionOut,
    MergeIn,
    MergeOut,
    OrganisationIn,
    OrganisationOut,
    OrganisationPage,
    TimelinePage,
)

router = Router(tags=["customers"])
organisations_router = Router(tags=["organisations"])

CustomerId = param.Path(..., ge=1, le=MAX_ID, description="The customer's id.")


def _user(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


def _is_staff_reader(user: Any) -> bool:
    return bool(user.has_perm(roles.CUSTOMER_VIEW))


def _detail(user: Any, customer_id: int) -> CustomerDetail:
    customer = selectors.customer_get_for_user(user=user, pk=customer_id)
    return CustomerDetail.build(customer, staff=_is_staff_reader(user))


# --- list and read --------------------------------------------------------------------------


class StatusFilter(StrEnum):
    ACTIVE = CustomerStatus.ACTIVE.value
    BLOCKED = CustomerStatus.BLOCKED.value
    MERGED = CustomerStatus.MERGED.value
    ANY = "any"


class ListOrder(StrEnum):
    NAME = "name"
    NAME_DESC = "-name"
    CREATED = "created"
    CREATED_DESC = "-created"
    LAST_INTERACTION = "last_interaction"
    LAST_INTERACTION_DESC = "-last_interaction"


class CustomerListParams(Schema):
    q: str = Field(
        "",
        max_length=200,
        description="Full-text search: name, email, phone, organisation, external id. Results are ranked; `order` is ignored.",
    )
    organisation_id: int | None = Field(None, ge=1, le=MAX_ID)
    tag: str = Field("", max_length=50)
    status: StatusFilter = StatusFilter.ACTIVE
    language: str = Field("", max_length=8)
    marketing_consent: bool | None = None
    order: ListOrder = ListOrder.NAME
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)

    def to_filters(self) -> selectors.CustomerFilters:
        return selectors.CustomerFilters(
            query=self.q,
            organisation_id=self.organisation_id,
            tag=self.tag,
            status="" if self.status == StatusFilter.ANY else self.status.value,
            language=self.language,
            marketing_consent=self.marketing_consent,
            order=self.order.value,
        )


@router.get("/", response=responses(200, CustomerPage), url_name="customer_list")
def customer_list(request: HttpRequest, params: Query[CustomerListParams]) -> dict[str, Any]:
    """Customers, one page at a time. A portal customer sees only their own record."""
    user = _user(request)
    page = selectors.customer_list_for_user(
        user=user, filters=params.to_filters(), offset=params.offset, limit=params.limit
    )
    staff = _is_staff_reader(user)
    next_url, previous_url = page_links(request, offset=params.offset, limit=params.limit, count=page.total)
    return {
        "count": page.total,
        "next": next_url,
        "previous": previous_url,
        "results": [CustomerListItem.build(c, staff=staff) for c in page.customers],
    }


@router.get("/{int:customer_id}", response=responses(200, CustomerDetail), url_name="customer_detail")
def customer_detail(request: HttpRequest, customer_id: int = CustomerId) -> CustomerDetail:
    """The customer 360 profile: contacts, addresses, external ids, tags, organisation, preferences."""
    return _detail(_user(request), customer_id)


class TimelineParams(Schema):
    kind: list[InteractionKind] = Field(default_factory=list, description="Repeat to select several kinds.")
    channel: Channel | None = None
    before: str = Field("", max_length=200, description="`next_cursor` of the previous page.")
    limit: int = Field(50, ge=1, le=200)


def _cursor(entry_time: datetime, entry_id: int) -> str:
    raw = f"{entry_time.isoformat()}|{entry_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _parse_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        when, entry_id = raw.rsplit("|", 1)
        parsed = datetime.fromisoformat(when)
        if parsed.tzinfo is None:
            raise ValueError(when)
        return parsed, int(entry_id)
    except (ValueError, UnicodeDecodeError, binascii.Error):
        raise DomainError(
            _("Not a timeline cursor; pass the next_cursor of the previous page."),
            field="before",
            code="invalid_cursor",
        ) from None


@router.get(
    "/{int:customer_id}/timeline", response=responses(200, TimelinePage), url_name="customer_timeline"
)
def customer_timeline(
    request: HttpRequest, params: Query[TimelineParams], customer_id: int = CustomerId
) -> dict[str, Any]:
    """Every interaction and event of the customer, newest first, keyset-paginated.

    A portal customer sees only the entries that are not internal."""
    user = _user(request)
    if not selectors.customers_visible_to(user).filter(pk=customer_id).exists():
        raise NotFound(_("Customer not found."), field="customer")
    filters = selectors.TimelineFilters(
        kinds=[k.value for k in params.kind],
        channel=params.channel.value if params.channel else "",
        include_internal=_is_staff_reader(user),
    )
    if params.before:
        filters.before, filters.before_id = _parse_cursor(params.before)
    entries = selectors.customer_timeline(customer_id=customer_id, filters=filters, limit=params.limit + 1)
    more = len(entries) > params.limit
    entries = entries[: params.limit]
    next_cursor = _cursor(entries[-1].occurred_at, entries[-1].pk) if more else None
    next_url = None
    if next_cursor:
        query = request.GET.copy()
        query["before"] = next_cursor
        next_url = request.build_absolute_uri(f"{request.path}?{query.urlencode()}")
    return {
        "results": [InteractionOut.build(e) for e in entries],
        "next_cursor": next_cursor,
        "next": next_url,
    }


@router.get(
    "/{int:customer_id}/duplicates",
    response=responses(200, list[DuplicateOut]),
    url_name="customer_duplicates",
)
def customer_duplicates(
    request: HttpRequest, customer_id: int = CustomerId, limit: int = param.Query(10, ge=1, le=50)
) -> list[DuplicateOut]:
    """Active customers that may be the same person: same email or phone, or a similar name."""
    user = require_perm(_user(request), roles.CUSTOMER_VIEW)
    customer = selectors.customer_get_for_user(user=user, pk=customer_id)
    return [
        DuplicateOut.build(c) for c in selectors.customer_duplicate_candidates(customer=customer, limit=limit)
    ]


# --- create and change ----------------------------------------------------------------------


@router.post("/", response=responses(201, CustomerDetail), url_name="customer_create")
def customer_create(request: HttpRequest, payload: CustomerCreateIn) -> Status[CustomerDetail]:
    """A new customer with contacts, addresses, tags and external ids, in one step."""
    user = require_perm(_user(request), roles.CUSTOMER_ADD)
    customer = services.customer_create(by=user, data=payload.to_input())
    return Status(201, _detail(user, customer.pk))


@router.patch("/{int:customer_id}", response=responses(200, CustomerDetail), url_name="customer_update")
def customer_update(
    request: HttpRequest, payload: CustomerPatchIn, customer_id: int = CustomerId
) -> CustomerDetail:
    """Change the fields sent, and only those. ``tags`` replaces the customer's tags."""
    user = require_perm(_user(request), roles.CUSTOMER_CHANGE)
    extra: dict[str, Any] = {}
    if payload.sent("organisation_name"):
        extra["organisation_name"] = payload.organisation_name
    elif payload.sent("organisation_id"):
        extra["organisation_id"] = payload.organisation_id
    if payload.sent("tags"):
        extra["tags"] = list(payload.tags)
    services.customer_update(customer_id=customer_id, by=user, changes=payload.profile_changes(), **extra)
    return _detail(user, customer_id)


@router.post("/{int:customer_id}/merge", response=responses(201, MergeOut), url_name="customer_merge")
def customer_merge(request: HttpRequest, payload: MergeIn, customer_id: int = CustomerId) -> Status[MergeOut]:
    """Fold customer ``merged_id`` into this one. Reversible with the returned merge's id."""
    user = require_perm(_user(request), roles.CUSTOMER_MERGE)
    record = services.customer_merge(
        survivor_id=customer_id, merged_id=payload.merged_id, by=user, reason=payload.reason
    )
    return Status(201, MergeOut.build(record))


@router.post(
    "/merges/{int:merge_id}/reverse", response=responses(200, MergeOut), url_name="customer_merge_reverse"
)
def customer_merge_reverse(
    request: HttpRequest, merge_id: int = param.Path(..., ge=1, le=MAX_ID)
) -> MergeOut:
    """Undo a merge: what it moved goes back and the merged customer is active again."""
    user = require_perm(_user(request), roles.CUSTOMER_MERGE)
    return MergeOut.build(services.customer_unmerge(merge_id=merge_id, by=user))


# --- contact points, addresses, external ids ------------------------------------------------


@router.post(
    "/{int:customer_id}/contacts", response=responses(201, ContactOut), url_name="customer_contact_add"
)
def customer_contact_add(
    request: HttpRequest, payload: ContactIn, customer_id: int = CustomerId
) -> Status[ContactOut]:
    user = require_perm(_user(request), roles.CUSTOMER_CHANGE)
    point = services.contact_point_add(customer_id=customer_id, by=user, contact=payload.to_input())
    return Status(201, ContactOut.build(point))


@router.delete(
    "/{int:customer_id}/contacts/{int:contact_id}",
    response=responses(204, None),
    url_name="customer_contact_remove",
)
def customer_contact_remove(
    request: HttpRequest, customer_id: int = CustomerId, contact_id: int = param.Path(..., ge=1, le=MAX_ID)
) -> Status[None]:
    user = require_perm(_user(request), roles.CUSTOMER_CHANGE)
    point = selectors.contact_point_get(customer_id=customer_id, pk=contact_id)
    services.contact_point_remove(contact_point_id=point.pk, by=user)
    return Status(204, None)


@router.post(
    "/{int:customer_id}/contacts/{int:contact_id}/primary",
    response=responses(200, ContactOut),
    url_name="customer_contact_set_primary",
)
def customer_contact_set_primary(
    request: HttpRequest, customer_id: int = CustomerId, contact_id: int = param.Path(..., ge=1, le=MAX_ID)
) -> ContactOut:
    """Make this the customer's primary contact of its kind."""
    user = require_perm(_user(request), roles.CUSTOMER_CHANGE)
    point = selectors.contact_point_get(customer_id=customer_id, pk=contact_id)
    return ContactOut.build(services.contact_point_set_primary(contact_point_id=point.pk, by=user))


@router.post(
    "/{int:customer_id}/addresses", response=responses(201, AddressOut), url_name="customer_address_add"
)
def customer_address_add(
    request: HttpRequest, payload: AddressIn, customer_id: int = CustomerId
) -> Status[AddressOut]:
    user = require_perm(_user(request), roles.CUSTOMER_CHANGE)
    address = services.address_add(customer_id=customer_id, by=user, address=payload.to_input())
    return Status(201, AddressOut.build(address))


@router.delete(
    "/{int:customer_id}/addresses/{int:address_id}",
    response=responses(204, None),
    url_name="customer_address_remove",
)
def customer_address_remove(
    request: HttpRequest, customer_id: int = CustomerId, address_id: int = param.Path(..., ge=1, le=MAX_ID)
) -> Status[None]:
    user = require_perm(_user(request), roles.CUSTOMER_CHANGE)
    address = selectors.address_get(customer_id=customer_id, pk=address_id)
    services.address_remove(address_id=address.pk, by=user)
    return Status(204, None)


SystemPath = param.Path(..., min_length=1, max_length=50, description="The other system, e.g. shop or erp.")


@router.put(
    "/{int:customer_id}/external-ids/{system}",
    response=responses(200, ExternalIdOut),
    url_name="customer_external_id_set",
)
def customer_external_id_set(
    request: HttpRequest, payload: ExternalIdIn, customer_id: int = CustomerId, system: str = SystemPath
) -> ExternalIdOut:
    """Record (or change) the customer's id in another system."""
    user = require_perm(_user(request), roles.CUSTOMER_CHANGE)
    ext = services.external_id_set(customer_id=customer_id, by=user, system=system, value=payload.value)
    return ExternalIdOut.build(ext)


@router.delete(
    "/{int:customer_id}/external-ids/{system}",
    response=responses(204, None),
    url_name="customer_external_id_remove",
)
def customer_external_id_remove(
    request: HttpRequest, customer_id: int = CustomerId, system: str = SystemPath
) -> Status[None]:
    user = require_perm(_user(request), roles.CUSTOMER_CHANGE)
    ext = selectors.external_id_get(customer_id=customer_id, system=system)
    services.external_id_remove(external_id_id=ext.pk, by=user)
    return Status(204, None)


# --- organisations --------------------------------------------------------------------------


class OrganisationListParams(Schema):
    q: str = Field("", max_length=200, description="Part of the name or domain, or an exact external id.")
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


@organisations_router.get("/", response=responses(200, OrganisationPage), url_name="organisation_list")
def organisation_list(request: HttpRequest, params: Query[OrganisationListParams]) -> dict[str, Any]:
    require_perm(_user(request), roles.CUSTOMER_VIEW)
    page = selectors.organisation_list(query=params.q, offset=params.offset, limit=params.limit)
    next_url, previous_url = page_links(request, offset=params.offset, limit=params.limit, count=page.total)
    return {
        "count": page.total,
        "next": next_url,
        "previous": previous_url,
        "results": [OrganisationOut.build(o) for o in page.organisations],
    }


@organisations_router.post("/", response=responses(201, OrganisationOut), url_name="organisation_create")
def organisation_create(request: HttpRequest, payload: OrganisationIn) -> Status[OrganisationOut]:
    user = require_perm(_user(request), roles.CUSTOMER_ADD)
    org = services.organisation_create(by=user, **payload.model_dump())
    return Status(201, OrganisationOut.build(org))
