"""Every write to customers, organisations, contact points and the timeline.

Each function is one use case: keyword-only arguments, one transaction, the audit row written
inside it, events sent after commit. Views, the API, imports, tasks and admin actions call
these and nothing else.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from frontline.audit import services as audit
from frontline.core import search
from frontline.core.errors import Conflict, DomainError, FieldErrors, NotFound

from . import events
from .choices import (
    AddressKind,
    Channel,
    ContactKind,
    CustomerStatus,
    Direction,
    InteractionKind,
    PreferredChannel,
)
from .models import (
    Address,
    ContactPoint,
    Customer,
    ExternalId,
    Interaction,
    MergeRecord,
    Organisation,
    Tag,
)
from .normalize import clean_contact

PROFILE_FIELDS = (
    "first_name",
    "last_name",
    "job_title",
    "language",
    "time_zone",
    "preferred_channel",
    "marketing_consent",
    "notes",
    "status",
)


# --- inputs ---------------------------------------------------------------------------------


@dataclass
class ContactInput:
    kind: str
    value: str
    platform: str = ""
    label: str = ""
    is_primary: bool = False


@dataclass
class AddressInput:
    line1: str
    city: str
    country: str
    line2: str = ""
    region: str = ""
    postal_code: str = ""
    kind: str = AddressKind.SHIPPING
    is_primary: bool = True


@dataclass
class CustomerInput:
    first_name: str = ""
    last_name: str = ""
    organisation_id: int | None = None
    organisation_name: str = ""
    job_title: str = ""
    language: str = "en"
    time_zone: str = "UTC"
    preferred_channel: str = PreferredChannel.EMAIL
    marketing_consent: bool = False
    notes: str = ""
    tags: list[str] = field(default_factory=list)
    contacts: list[ContactInput] = field(default_factory=list)
    addresses: list[AddressInput] = field(default_factory=list)
    external_ids: dict[str, str] = field(default_factory=dict)


# --- search document ------------------------------------------------------------------------


def search_parts(customer: Customer) -> list[str]:
    """The searchable text of a customer: names, organisation, contacts, external ids."""
    parts = [customer.first_name, customer.last_name, str(customer.pk)]
    if customer.organisation_id:
        parts.append(customer.organisation.name)  # type: ignore[union-attr]
    for contact in customer.contact_points.all():
        if contact.kind == ContactKind.PHONE:
            parts.extend(search.digit_suffixes(contact.normalized))
        else:
            parts.append(contact.value)
    for ext in customer.external_ids.all():
        parts.append(ext.value)
    return parts


_deferred_reindex: ContextVar[set[int] | None] = ContextVar("customers_deferred_reindex", default=None)


def customer_reindex(*, customer_id: int) -> None:
    pending = _deferred_reindex.get()
    if pending is not None:
        pending.add(customer_id)
        return
    customer = (
        Customer.objects.select_related("organisation")
        .prefetch_related("contact_points", "external_ids")
        .get(pk=customer_id)
    )
    if customer.status == CustomerStatus.MERGED:
        search.remove_document("customer", customer.pk)
    else:
        search.index_document("customer", customer.pk, search_parts(customer))


@contextmanager
def reindex_deferred() -> Iterator[set[int]]:
    """Collect the search reindexes of the services called in the block and run them in bulk
    when it ends without error (imports, seeding): one batch per 2,000 customers instead of
    three queries per change. Use it inside the transaction that does the writes."""
    if _deferred_reindex.get() is not None:  # already deferring: the outer block reindexes
        yield _deferred_reindex.get()  # type: ignore[misc]
        return
    pending: set[int] = set()
    token = _deferred_reindex.set(pending)
    try:
        yield pending
    finally:
        _deferred_reindex.reset(token)
    customers_reindex(customer_ids=pending)


def customers_reindex(*, customer_ids: Iterable[int] | None = None, batch_size: int = 2000) -> int:
    """Rebuild the search documents of many customers (imports, seeding, repairs).

    Without ``customer_ids`` the whole customer index is rebuilt. Given ids are handled in
    batches of ``batch_size`` (any number of them stays within the database's parameter limit);
    merged customers among them lose their document. Returns the number of documents written.
    """
    base = (
        Customer.objects.exclude(status=CustomerStatus.MERGED)
        .select_related("organisation")
        .prefetch_related("contact_points", "external_ids")
    )
    done = 0
    if customer_ids is not None:
        ids = sorted(set(customer_ids))
        for start in range(0, len(ids), batch_size):
            chunk = ids[start : start + batch_size]
            batch = list(base.filter(pk__in=chunk).order_by("pk"))
            search.index_many("customer", [(c.pk, search_parts(c)) for c in batch])
            for merged_id in set(chunk) - {c.pk for c in batch}:
                search.remove_document("customer", merged_id)
            done += len(batch)
        return done
    search.clear_kind("customer")
    last = 0
    while True:
        batch = list(base.filter(pk__gt=last).order_by("pk")[:batch_size])
        if not batch:
            return done
        search.index_many("customer", [(c.pk, search_parts(c)) for c in batch])
        done += len(batch)
        last = batch[-1].pk


# --- helpers --------------------------------------------------------------------------------


def _lock(customer_id: int) -> Customer:
    try:
        return Customer.objects.select_for_update().get(pk=customer_id)
    except Customer.DoesNotExist:
        raise NotFound(_("Customer %(id)s does not exist.") % {"id": customer_id}, field="customer") from None


def _require_active(customer: Customer) -> None:
    if customer.status == CustomerStatus.MERGED:
        raise Conflict(
            _("Customer %(id)s was merged into %(target)s; change that customer instead.")
            % {"id": customer.pk, "target": customer.merged_into_id},
            field="customer",
            code="merged",
        )


def _profile(customer: Customer) -> dict[str, Any]:
    data = {name: getattr(customer, name) for name in PROFILE_FIELDS}
    data["organisation"] = customer.organisation.name if customer.organisation_id else None  # type: ignore[union-attr]
    return data


def _on_commit(fn: Callable[[], Any]) -> None:
    transaction.on_commit(fn)


def _organisation(organisation_id: int | None, organisation_name: str) -> Organisation | None:
    if organisation_id:
        try:
            return Organisation.objects.get(pk=organisation_id)
        except Organisation.DoesNotExist:
            raise NotFound(
                _("Organisation %(id)s does not exist.") % {"id": organisation_id}, field="organisation_id"
            ) from None
    name = organisation_name.strip()
    if not name:
        return None
    existing = Organisation.objects.filter(name__iexact=name).order_by("pk").first()
    return existing or Organisation.objects.create(name=name)


def _set_tags(customer: Customer, names: Iterable[str]) -> list[str]:
    clean = sorted({n.strip().lower() for n in names if n and n.strip()})
    for name in clean:
        if len(name) > 50:
            raise DomainError(_("Tags are at most 50 characters."), field="tags")
    tags = [Tag.objects.get_or_create(name=name)[0] for name in clean]
    customer.tags.set(tags)
    return clean


def _validate_choice(value: str, choices: type[models.TextChoices], field_name: str) -> None:
    if value not in choices.values:
        raise DomainError(
            _("%(value)s is not a valid choice; use one of: %(choices)s.")
            % {"value": value, "choices": ", ".join(choices.values)},
            field=field_name,
        )


def _add_contact(customer: Customer, item: ContactInput, field_name: str = "contacts") -> ContactPoint:
    _validate_choice(item.kind, ContactKind, f"{field_name}.kind")
    try:
        value, normalized = clean_contact(item.kind, item.value, item.platform)
    except ValidationError as exc:
        raise DomainError(exc.messages[0], field=field_name) from None
    if customer.contact_points.filter(kind=item.kind, normalized=normalized).exists():
        raise Conflict(
            _("%(value)s is already recorded for this customer.") % {"value": value}, field=field_name
        )
    has_primary = customer.contact_points.filter(kind=item.kind, is_primary=True).exists()
    if item.is_primary and has_primary:
        customer.contact_points.filter(kind=item.kind, is_primary=True).update(is_primary=False)
    return ContactPoint.objects.create(
        customer=customer,
        kind=item.kind,
        value=value,
        normalized=normalized,
        platform=item.platform if item.kind == ContactKind.SOCIAL else "",
        label=item.label,
        is_primary=item.is_primary or not has_primary,
    )


def _check_address(item: AddressInput) -> None:
    errors: dict[str, list[str]] = {}
    for name in ("line1", "city", "country"):
        if not getattr(item, name).strip():
            errors[f"addresses.{name}"] = [_("This field is required.")]
    country = item.country.strip().upper()
    if country and (len(country) != 2 or not country.isalpha()):
        errors["addresses.country"] = [_("Use a two-letter ISO country code such as US or DE.")]
    if item.kind not in AddressKind.values:
        errors["addresses.kind"] = [_("Unknown address kind.")]
    if errors:
        raise FieldErrors(errors)


def _add_address(customer: Customer, item: AddressInput) -> Address:
    _check_address(item)
    country = item.country.strip().upper()
    has_primary = customer.addresses.filter(kind=item.kind, is_primary=True).exists()
    if item.is_primary and has_primary:
        customer.addresses.filter(kind=item.kind, is_primary=True).update(is_primary=False)
    return Address.objects.create(
        customer=customer,
        kind=item.kind,
        line1=item.line1.strip(),
        line2=item.line2.strip(),
        city=item.city.strip(),
        region=item.region.strip(),
        postal_code=item.postal_code.strip(),
        country=country,
        is_primary=item.is_primary or not has_primary,
    )


def _set_external_id(customer: Customer, system: str, value: str) -> ExternalId:
    system, value = system.strip().lower(), value.strip()
    if not system or not value:
        raise DomainError(_("An external id needs a system and a value."), field="external_ids")
    clash = ExternalId.objects.filter(system=system, value=value).exclude(customer=customer).first()
    if clash is not None:
        raise Conflict(
            _("External id %(system)s:%(value)s already belongs to customer %(id)s.")
            % {"system": system, "value": value, "id": clash.customer_id},
            field="external_ids",
        )
    ext, _created = ExternalId.objects.update_or_create(
        customer=customer, system=system, defaults={"value": value}
    )
    return ext


def _is_time_zone(name: Any) -> bool:
    if not isinstance(name, str) or not name or len(name) > 64:
        return False
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _validate_profile(data: dict[str, Any]) -> None:
    errors: dict[str, list[str]] = {}
    if "preferred_channel" in data and data["preferred_channel"] not in PreferredChannel.values:
        errors["preferred_channel"] = [
            _("Use one of: %(choices)s.") % {"choices": ", ".join(PreferredChannel.values)}
        ]
    if "status" in data and data["status"] not in (CustomerStatus.ACTIVE, CustomerStatus.BLOCKED):
        errors["status"] = [_("Status can be set to active or blocked; merging sets merged.")]
    for name, limit in (("first_name", 100), ("last_name", 100), ("job_title", 100)):
        if name in data and len(data[name] or "") > limit:
            errors[name] = [_("At most %(n)s characters.") % {"n": limit}]
    if "language" in data and not (1 < len(data["language"] or "") <= 8):
        errors["language"] = [_("Use a language code such as en, es or ar.")]
    if "time_zone" in data and not _is_time_zone(data["time_zone"]):
        errors["time_zone"] = [_("Use a time zone name such as Europe/Berlin or America/New_York.")]
    if errors:
        raise FieldErrors(errors)


# --- customers ------------------------------------------------------------------------------


@transaction.atomic
def customer_create(*, by: Any | None, data: CustomerInput) -> Customer:
    if not (data.first_name.strip() or data.last_name.strip() or data.contacts):
        raise DomainError(_("A customer needs a name or at least one contact."), field="last_name")
    _validate_profile(
        {
            "first_name": data.first_name,
            "last_name": data.last_name,
            "job_title": data.job_title,
            "language": data.language,
            "time_zone": data.time_zone,
            "preferred_channel": data.preferred_channel,
        }
    )
    customer = Customer.objects.create(
        first_name=data.first_name.strip(),
        last_name=data.last_name.strip(),
        organisation=_organisation(data.organisation_id, data.organisation_name),
        job_title=data.job_title.strip(),
        language=data.language,
        time_zone=data.time_zone,
        preferred_channel=data.preferred_channel,
        marketing_consent=data.marketing_consent,
        marketing_consent_at=timezone.now() if data.marketing_consent else None,
        notes=data.notes,
    )
    for index, contact in enumerate(data.contacts):
        _add_contact(customer, contact, field_name=f"contacts[{index}]")
    for address in data.addresses:
        _add_address(customer, address)
    for system, value in data.external_ids.items():
        _set_external_id(customer, system, value)
    tags = _set_tags(customer, data.tags)
    customer_reindex(customer_id=customer.pk)
    audit.record(
        actor=by, verb="customer.created", target=customer, data={**_profile(customer), "tags": tags}
    )
    _on_commit(lambda: events.customer_created.send(sender=Customer, customer_id=customer.pk))
    return customer


class BulkItemError(DomainError):
    """Item ``index`` of a bulk call is invalid; ``error`` is what the single-item service raises."""

    def __init__(self, index: int, error: DomainError) -> None:
        super().__init__(error.message, field=error.field, code=error.code)
        self.index = index
        self.error = error


@dataclass
class _PreparedCustomer:
    data: CustomerInput
    contacts: list[ContactPoint]
    addresses: list[Address]
    external_ids: list[ExternalId]
    tags: list[str]


def _prepare_customer(data: CustomerInput) -> _PreparedCustomer:
    """``customer_create``'s checks of one input, without the database. Raises DomainError."""
    if not (data.first_name.strip() or data.last_name.strip() or data.contacts):
        raise DomainError(_("A customer needs a name or at least one contact."), field="last_name")
    _validate_profile(
        {
            "first_name": data.first_name,
            "last_name": data.last_name,
            "job_title": data.job_title,
            "language": data.language,
            "time_zone": data.time_zone,
            "preferred_channel": data.preferred_channel,
        }
    )
    contacts: list[ContactPoint] = []
    seen: set[tuple[str, str]] = set()
    for index, item in enumerate(data.contacts):
        field_name = f"contacts[{index}]"
        _validate_choice(item.kind, ContactKind, f"{field_name}.kind")
        try:
            value, normalized = clean_contact(item.kind, item.value, item.platform)
        except ValidationError as exc:
            raise DomainError(exc.messages[0], field=field_name) from None
        if (item.kind, normalized) in seen:
            raise Conflict(
                _("%(value)s is already recorded for this customer.") % {"value": value}, field=field_name
            )
        seen.add((item.kind, normalized))
        has_primary = any(c.kind == item.kind and c.is_primary for c in contacts)
        if item.is_primary and has_primary:  # the later primary wins, as in _add_contact
            for other in contacts:
                if other.kind == item.kind:
                    other.is_primary = False
        contacts.append(
            ContactPoint(
                kind=item.kind,
                value=value,
                normalized=normalized,
                platform=item.platform if item.kind == ContactKind.SOCIAL else "",
                label=item.label,
                is_primary=item.is_primary or not has_primary,
            )
        )
    addresses: list[Address] = []
    for address in data.addresses:
        _check_address(address)
        has_primary = any(a.kind == address.kind and a.is_primary for a in addresses)
        if address.is_primary and has_primary:
            for earlier in addresses:
                if earlier.kind == address.kind:
                    earlier.is_primary = False
        addresses.append(
            Address(
                kind=address.kind,
                line1=address.line1.strip(),
                line2=address.line2.strip(),
                city=address.city.strip(),
                region=address.region.strip(),
                postal_code=address.postal_code.strip(),
                country=address.country.strip().upper(),
                is_primary=address.is_primary or not has_primary,
            )
        )
    external_ids: dict[str, ExternalId] = {}
    for system, value in data.external_ids.items():
        system, value = system.strip().lower(), value.strip()
        if not system or not value:
            raise DomainError(_("An external id needs a system and a value."), field="external_ids")
        external_ids[system] = ExternalId(system=system, value=value)
    tags = sorted({n.strip().lower() for n in data.tags if n and n.strip()})
    if any(len(name) > 50 for name in tags):
        raise DomainError(_("Tags are at most 50 characters."), field="tags")
    return _PreparedCustomer(data, contacts, addresses, list(external_ids.values()), tags)


@transaction.atomic
def customer_create_many(
    *, by: Any | None, items: list[CustomerInput], batch_size: int = 500
) -> list[Customer]:
    """Create many customers at once (imports): ``customer_create``'s rules for each one, in a
    few queries per batch of ``batch_size`` instead of twenty per customer.

    Each customer still gets its ``customer.created`` audit entry and ``customer_created``
    event. Raises :class:`BulkItemError` naming the first invalid item; nothing is written then.
    """
    prepared: list[_PreparedCustomer] = []
    for index, data in enumerate(items):
        try:
            prepared.append(_prepare_customer(data))
        except DomainError as exc:
            raise BulkItemError(index, exc) from None

    # External ids: unique in the batch and not taken by an existing customer.
    owner: dict[tuple[str, str], int] = {}
    for index, item in enumerate(prepared):
        for ext in item.external_ids:
            key = (ext.system, ext.value)
            if key in owner:
                raise BulkItemError(
                    index,
                    Conflict(
                        _("External id %(system)s:%(value)s is given twice.")
                        % {"system": ext.system, "value": ext.value},
                        field="external_ids",
                    ),
                )
            owner[key] = index
    keys = sorted(owner)
    for start in range(0, len(keys), 1000):
        chunk = keys[start : start + 1000]
        clashes = ExternalId.objects.filter(
            system__in={k[0] for k in chunk}, value__in=[k[1] for k in chunk]
        ).values_list("system", "value", "customer_id")
        for system, value, customer_id in clashes:
            if (system, value) in owner:
                raise BulkItemError(
                    owner[(system, value)],
                    Conflict(
                        _("External id %(system)s:%(value)s already belongs to customer %(id)s.")
                        % {"system": system, "value": value, "id": customer_id},
                        field="external_ids",
                    ),
                )

    organisations: dict[tuple[int | None, str], Organisation | None] = {}
    for index, item in enumerate(prepared):
        org_key = (item.data.organisation_id, item.data.organisation_name.strip().casefold())
        if org_key not in organisations:
            try:
                organisations[org_key] = _organisation(item.data.organisation_id, item.data.organisation_name)
            except DomainError as exc:
                raise BulkItemError(index, exc) from None

    tag_names = sorted({name for item in prepared for name in item.tags})
    tags = {t.name: t for t in Tag.objects.filter(name__in=tag_names)}
    missing = [Tag(name=name) for name in tag_names if name not in tags]
    if missing:
        Tag.objects.bulk_create(missing, ignore_conflicts=True)
        tags = {t.name: t for t in Tag.objects.filter(name__in=tag_names)}

    now = timezone.now()
    created: list[Customer] = []
    through = Customer.tags.through
    for start in range(0, len(prepared), batch_size):
        batch = prepared[start : start + batch_size]
        customers = []
        for item in batch:
            data = item.data
            customers.append(
                Customer(
                    first_name=data.first_name.strip(),
                    last_name=data.last_name.strip(),
                    organisation=organisations[
                        (data.organisation_id, data.organisation_name.strip().casefold())
                    ],
                    job_title=data.job_title.strip(),
                    language=data.language,
                    time_zone=data.time_zone,
                    preferred_channel=data.preferred_channel,
                    marketing_consent=data.marketing_consent,
                    marketing_consent_at=now if data.marketing_consent else None,
                    notes=data.notes,
                )
            )
        Customer.objects.bulk_create(customers, batch_size=batch_size)
        contacts, addresses, external_ids, links = [], [], [], []
        for customer, item in zip(customers, batch, strict=True):
            for point in item.contacts:
                point.customer = customer
            for address in item.addresses:
                address.customer = customer
            for ext in item.external_ids:
                ext.customer = customer
            contacts += item.contacts
            addresses += item.addresses
            external_ids += item.external_ids
            links += [through(customer_id=customer.pk, tag_id=tags[name].pk) for name in item.tags]
        ContactPoint.objects.bulk_create(contacts, batch_size=batch_size)
        Address.objects.bulk_create(addresses, batch_size=batch_size)
        ExternalId.objects.bulk_create(external_ids, batch_size=batch_size)
        through.objects.bulk_create(links, batch_size=batch_size)
        for customer, item in zip(customers, batch, strict=True):
            audit.record(
                actor=by,
                verb="customer.created",
                target=customer,
                data={**_profile(customer), "tags": item.tags},
            )
        ids = [c.pk for c in customers]
        _reindex_many(ids)
        _on_commit(partial(_send_created, ids))
        created += customers
    return created


def _reindex_many(ids: list[int]) -> None:
    pending = _deferred_reindex.get()
    if pending is not None:
        pending.update(ids)
    else:
        customers_reindex(customer_ids=ids)


def _send_created(ids: list[int]) -> None:
    for pk in ids:
        events.customer_created.send(sender=Customer, customer_id=pk)


@transaction.atomic
def customer_update(
    *,
    customer_id: int,
    by: Any | None,
    changes: dict[str, Any],
    organisation_id: int | object | None = ...,
    organisation_name: str | None = None,
    tags: list[str] | None = None,
) -> Customer:
    """Change profile fields, organisation and tags; records who changed what."""
    customer = _lock(customer_id)
    _require_active(customer)
    unknown = set(changes) - set(PROFILE_FIELDS)
    if unknown:
        raise DomainError(
            _("Unknown field %(name)s.") % {"name": sorted(unknown)[0]}, field=sorted(unknown)[0]
        )
    _validate_profile(changes)
    before = _profile(customer)
    before_tags = sorted(customer.tags.values_list("name", flat=True))
    for name, value in changes.items():
        setattr(customer, name, value.strip() if isinstance(value, str) and name != "notes" else value)
    if "marketing_consent" in changes and changes["marketing_consent"] != before["marketing_consent"]:
        customer.marketing_consent_at = timezone.now() if changes["marketing_consent"] else None
    if organisation_name is not None:
        customer.organisation = _organisation(None, organisation_name)
    elif organisation_id is not ...:
        customer.organisation = _organisation(organisation_id, "")  # type: ignore[arg-type]
    customer.save()
    diff = audit.changes(before, _profile(customer))
    if tags is not None:
        after_tags = _set_tags(customer, tags)
        if after_tags != before_tags:
            diff["tags"] = [before_tags, after_tags]
    if not diff:
        return customer
    customer_reindex(customer_id=customer.pk)
    audit.record(actor=by, verb="customer.updated", target=customer, data={"changes": diff})
    interaction_record(
        customer_id=customer.pk,
        kind=InteractionKind.PROFILE,
        summary=_("Profile changed: %(fields)s") % {"fields": ", ".join(sorted(diff))},
        actor=by,
        is_internal=True,
        data={"changes": diff},
    )
    fields = sorted(diff)
    _on_commit(lambda: events.customer_updated.send(sender=Customer, customer_id=customer.pk, fields=fields))
    return customer


# --- contact points, addresses, external ids ------------------------------------------------


@transaction.atomic
def contact_point_add(*, customer_id: int, by: Any | None, contact: ContactInput) -> ContactPoint:
    customer = _lock(customer_id)
    _require_active(customer)
    point = _add_contact(customer, contact, field_name="value")
    customer_reindex(customer_id=customer.pk)
    audit.record(
        actor=by,
        verb="customer.contact_added",
        target=customer,
        data={"kind": point.kind, "value": point.value, "primary": point.is_primary},
    )
    return point


@transaction.atomic
def contact_point_remove(*, contact_point_id: int, by: Any | None) -> None:
    point = _contact(contact_point_id)
    customer = _lock(point.customer_id)
    _require_active(customer)
    point.delete()
    if point.is_primary:
        successor = customer.contact_points.filter(kind=point.kind).order_by("id").first()
        if successor is not None:
            successor.is_primary = True
            successor.save(update_fields=["is_primary", "updated_at"])
    customer_reindex(customer_id=customer.pk)
    audit.record(
        actor=by,
        verb="customer.contact_removed",
        target=customer,
        data={"kind": point.kind, "value": point.value},
    )


@transaction.atomic
def contact_point_set_primary(*, contact_point_id: int, by: Any | None) -> ContactPoint:
    point = _contact(contact_point_id)
    customer = _lock(point.customer_id)
    _require_active(customer)
    if point.is_primary:
        return point
    customer.contact_points.filter(kind=point.kind, is_primary=True).update(is_primary=False)
    point.is_primary = True
    point.save(update_fields=["is_primary", "updated_at"])
    audit.record(
        actor=by,
        verb="customer.contact_primary",
        target=customer,
        data={"kind": point.kind, "value": point.value},
    )
    return point


def _contact(contact_point_id: int) -> ContactPoint:
    try:
        return ContactPoint.objects.get(pk=contact_point_id)
    except ContactPoint.DoesNotExist:
        raise NotFound(_("Contact point not found."), field="contact_point") from None


@transaction.atomic
def address_add(*, customer_id: int, by: Any | None, address: AddressInput) -> Address:
    customer = _lock(customer_id)
    _require_active(customer)
    created = _add_address(customer, address)
    audit.record(actor=by, verb="customer.address_added", target=customer, data={"address": str(created)})
    return created


@transaction.atomic
def address_remove(*, address_id: int, by: Any | None) -> None:
    try:
        address = Address.objects.get(pk=address_id)
    except Address.DoesNotExist:
        raise NotFound(_("Address not found."), field="address") from None
    customer = _lock(address.customer_id)
    _require_active(customer)
    address.delete()
    if address.is_primary:
        successor = customer.addresses.filter(kind=address.kind).order_by("id").first()
        if successor is not None:
            successor.is_primary = True
            successor.save(update_fields=["is_primary", "updated_at"])
    audit.record(actor=by, verb="customer.address_removed", target=customer, data={"address": str(address)})


@transaction.atomic
def external_id_set(*, customer_id: int, by: Any | None, system: str, value: str) -> ExternalId:
    customer = _lock(customer_id)
    _require_active(customer)
    ext = _set_external_id(customer, system, value)
    customer_reindex(customer_id=customer.pk)
    audit.record(
        actor=by,
        verb="customer.external_id_set",
        target=customer,
        data={"system": ext.system, "value": ext.value},
    )
    return ext


@transaction.atomic
def external_id_remove(*, external_id_id: int, by: Any | None) -> None:
    try:
        ext = ExternalId.objects.get(pk=external_id_id)
    except ExternalId.DoesNotExist:
        raise NotFound(_("External id not found."), field="external_id") from None
    customer = _lock(ext.customer_id)
    _require_active(customer)
    ext.delete()
    customer_reindex(customer_id=customer.pk)
    audit.record(
        actor=by,
        verb="customer.external_id_removed",
        target=customer,
        data={"system": ext.system, "value": ext.value},
    )


# --- organisations --------------------------------------------------------------------------


@transaction.atomic
def organisation_create(
    *, by: Any | None, name: str, domain: str = "", external_id: str = "", phone: str = "", notes: str = ""
) -> Organisation:
    name = name.strip()
    if not name:
        raise DomainError(_("This field is required."), field="name")
    if Organisation.objects.filter(name__iexact=name).exists():
        raise Conflict(_("An organisation named %(name)s already exists.") % {"name": name}, field="name")
    org = Organisation.objects.create(
        name=name,
        domain=domain.strip().lower(),
        external_id=external_id.strip(),
        phone=phone.strip(),
        notes=notes,
    )
    audit.record(actor=by, verb="organisation.created", target=org, data={"name": name})
    return org


@transaction.atomic
def organisation_update(*, organisation_id: int, by: Any | None, changes: dict[str, Any]) -> Organisation:
    try:
        org = Organisation.objects.select_for_update().get(pk=organisation_id)
    except Organisation.DoesNotExist:
        raise NotFound(_("Organisation not found."), field="organisation") from None
    allowed = {"name", "domain", "external_id", "phone", "notes"}
    before = {k: getattr(org, k) for k in allowed}
    for key, value in changes.items():
        if key not in allowed:
            raise DomainError(_("Unknown field %(name)s.") % {"name": key}, field=key)
        setattr(org, key, value.strip() if isinstance(value, str) else value)
    if not org.name:
        raise DomainError(_("This field is required."), field="name")
    org.save()
    diff = audit.changes(before, {k: getattr(org, k) for k in allowed})
    if diff:
        audit.record(actor=by, verb="organisation.updated", target=org, data={"changes": diff})
        if "name" in diff:
            ids = list(org.customers.values_list("pk", flat=True))
            customers_reindex(customer_ids=ids)
    return org


# --- the timeline ---------------------------------------------------------------------------


@transaction.atomic
def interaction_record(
    *,
    customer_id: int,
    kind: str,
    summary: str,
    actor: Any | None = None,
    occurred_at: datetime | None = None,
    channel: str = Channel.SYSTEM,
    direction: str = Direction.INTERNAL,
    is_internal: bool = False,
    body: str = "",
    source: models.Model | None = None,
    data: dict[str, Any] | None = None,
) -> Interaction:
    """Append one entry to the customer's timeline. Other apps call this for their events."""
    _validate_choice(kind, InteractionKind, "kind")
    _validate_choice(channel, Channel, "channel")
    _validate_choice(direction, Direction, "direction")
    summary = summary.strip()
    if not summary:
        raise DomainError(_("This field is required."), field="summary")
    when = occurred_at or timezone.now()
    is_user = actor is not None and getattr(actor, "is_authenticated", False)
    entry = Interaction.objects.create(
        customer_id=customer_id,
        kind=kind,
        summary=summary[:255],
        body=body,
        occurred_at=when,
        channel=channel,
        direction=direction,
        is_internal=is_internal,
        actor=actor if is_user else None,
        actor_label=actor.get_username() if actor is not None and is_user else "",
        source_type=ContentType.objects.get_for_model(source) if source is not None else None,
        source_id=str(source.pk) if source is not None else "",
        data=data or {},
    )
    Customer.objects.filter(pk=customer_id).filter(
        models.Q(last_interaction_at__isnull=True) | models.Q(last_interaction_at__lt=when)
    ).update(last_interaction_at=when)
    _on_commit(
        lambda: events.interaction_recorded.send(
            sender=Interaction, customer_id=customer_id, interaction_id=entry.pk
        )
    )
    return entry


@transaction.atomic
def interaction_log(
    *,
    customer_id: int,
    by: Any,
    kind: str,
    summary: str,
    body: str = "",
    channel: str = Channel.PHONE,
    direction: str = Direction.INBOUND,
    is_internal: bool = False,
    occurred_at: datetime | None = None,
) -> Interaction:
    """A staff member logs a call, meeting, note or message they had with the customer."""
    customer = _lock(customer_id)
    _require_active(customer)
    if kind not in (
        InteractionKind.NOTE,
        InteractionKind.CALL,
        InteractionKind.MEETING,
        InteractionKind.EMAIL,
        InteractionKind.CHAT,
        InteractionKind.SOCIAL,
    ):
        raise DomainError(_("Staff can log notes, calls, meetings and messages."), field="kind")
    if occurred_at is not None and occurred_at > timezone.now():
        raise DomainError(_("An interaction cannot be in the future."), field="occurred_at")
    entry = interaction_record(
        customer_id=customer.pk,
        kind=kind,
        summary=summary,
        body=body,
        actor=by,
        channel=channel,
        direction=Direction.INTERNAL if kind == InteractionKind.NOTE else direction,
        is_internal=is_internal or kind == InteractionKind.NOTE,
        occurred_at=occurred_at,
    )
    audit.record(
        actor=by, verb="customer.interaction_logged", target=customer, data={"kind": kind, "id": entry.pk}
    )
    return entry


# --- merge ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class MergeHandler:
    """Lets later apps (cases, orders, loyalty...) move their rows when customers merge.

    ``move(survivor_id, merged_id)`` returns the ids it moved; ``undo(merged_id, ids)`` moves
    them back. Both run inside the merge transaction.
    """

    key: str
    move: Callable[[int, int], list[int]]
    undo: Callable[[int, list[int]], None]


MERGE_HANDLERS: dict[str, MergeHandler] = {}


def register_merge_handler(handler: MergeHandler) -> None:
    MERGE_HANDLERS[handler.key] = handler


# Profile fields a merge copies from the merged record when the survivor's is empty.
MERGE_FILLABLE = ("first_name", "last_name", "job_title", "notes")


@transaction.atomic
def customer_merge(*, survivor_id: int, merged_id: int, by: Any | None, reason: str = "") -> MergeRecord:
    """Fold ``merged`` into ``survivor``: contacts, addresses, ids, tags, timeline and every
    registered app's rows move; ``merged`` stays as a pointer to the survivor. Reversible."""
    if survivor_id == merged_id:
        raise DomainError(_("A customer cannot be merged into itself."), field="merged_id")
    locked = {
        c.pk: c
        for c in Customer.objects.select_for_update().filter(pk__in=[survivor_id, merged_id]).order_by("pk")
    }
    if survivor_id not in locked:
        raise NotFound(_("Customer %(id)s does not exist.") % {"id": survivor_id}, field="survivor_id")
    if merged_id not in locked:
        raise NotFound(_("Customer %(id)s does not exist.") % {"id": merged_id}, field="merged_id")
    survivor, merged = locked[survivor_id], locked[merged_id]
    for customer, name in ((survivor, "survivor_id"), (merged, "merged_id")):
        if not customer.can_merge():
            raise Conflict(
                _("Customer %(id)s is already merged into %(target)s.")
                % {"id": customer.pk, "target": customer.merged_into_id},
                field=name,
                code="merged",
            )
    moved: dict[str, Any] = {"survivor_before": {}}

    # Contact points: move those the survivor lacks; duplicates stay with the merged record.
    existing = set(survivor.contact_points.values_list("kind", "normalized"))
    primaries = set(survivor.contact_points.filter(is_primary=True).values_list("kind", flat=True))
    contact_ids, demoted = [], []
    for point in merged.contact_points.all():
        if (point.kind, point.normalized) in existing:
            continue
        contact_ids.append(point.pk)
        if point.is_primary and point.kind in primaries:
            demoted.append(point.pk)
    ContactPoint.objects.filter(pk__in=demoted).update(is_primary=False)
    ContactPoint.objects.filter(pk__in=contact_ids).update(customer=survivor)
    moved["contact_points"], moved["demoted_contact_points"] = contact_ids, demoted

    address_primaries = set(survivor.addresses.filter(is_primary=True).values_list("kind", flat=True))
    address_ids = list(merged.addresses.values_list("pk", flat=True))
    demoted_addresses = list(
        merged.addresses.filter(is_primary=True, kind__in=address_primaries).values_list("pk", flat=True)
    )
    Address.objects.filter(pk__in=demoted_addresses).update(is_primary=False)
    Address.objects.filter(pk__in=address_ids).update(customer=survivor)
    moved["addresses"], moved["demoted_addresses"] = address_ids, demoted_addresses

    survivor_systems = set(survivor.external_ids.values_list("system", flat=True))
    ext_ids = list(merged.external_ids.exclude(system__in=survivor_systems).values_list("pk", flat=True))
    ExternalId.objects.filter(pk__in=ext_ids).update(customer=survivor)
    moved["external_ids"] = ext_ids

    interaction_ids = list(merged.interactions.values_list("pk", flat=True))
    Interaction.objects.filter(pk__in=interaction_ids).update(customer=survivor)
    moved["interactions"] = interaction_ids

    survivor_tags = set(survivor.tags.values_list("pk", flat=True))
    added_tags = [pk for pk in merged.tags.values_list("pk", flat=True) if pk not in survivor_tags]
    survivor.tags.add(*added_tags)
    moved["tags"] = added_tags

    for name in MERGE_FILLABLE:
        if not getattr(survivor, name) and getattr(merged, name):
            moved["survivor_before"][name] = getattr(survivor, name)
            setattr(survivor, name, getattr(merged, name))
    if survivor.organisation_id is None and merged.organisation_id is not None:
        moved["survivor_before"]["organisation_id"] = None
        survivor.organisation_id = merged.organisation_id
    moved["user"] = None
    if merged.user_id and not survivor.user_id:
        moved["user"] = merged.user_id
        survivor.user_id, merged.user_id = merged.user_id, None
        merged.save(update_fields=["user"])
    if merged.last_interaction_at and (
        survivor.last_interaction_at is None or merged.last_interaction_at > survivor.last_interaction_at
    ):
        survivor.last_interaction_at = merged.last_interaction_at
    survivor.save()

    for key, handler in MERGE_HANDLERS.items():
        moved[key] = handler.move(survivor.pk, merged.pk)

    merged.status = CustomerStatus.MERGED
    merged.merged_into = survivor
    merged.save(update_fields=["status", "merged_into", "updated_at"])

    record = MergeRecord.objects.create(
        survivor=survivor,
        merged=merged,
        merged_by=by if getattr(by, "is_authenticated", False) else None,
        moved=moved,
        reason=reason.strip()[:255],
    )
    customer_reindex(customer_id=survivor.pk)
    customer_reindex(customer_id=merged.pk)
    summary = _("Merged customer #%(id)s (%(name)s) into this record") % {"id": merged.pk, "name": merged}
    interaction_record(
        customer_id=survivor.pk,
        kind=InteractionKind.MERGE,
        summary=summary,
        actor=by,
        is_internal=True,
        source=record,
        data={"merged_id": merged.pk, "reason": record.reason},
    )
    audit.record(
        actor=by,
        verb="customer.merged",
        target=survivor,
        data={
            "merged_id": merged.pk,
            "merge_id": record.pk,
            "reason": record.reason,
            "moved": {k: len(v) for k, v in moved.items() if isinstance(v, list)},
        },
    )
    _on_commit(
        lambda: events.customer_merged.send(
            sender=Customer, survivor_id=survivor.pk, merged_id=merged.pk, merge_id=record.pk
        )
    )
    return record


@transaction.atomic
def customer_unmerge(*, merge_id: int, by: Any | None) -> MergeRecord:
    """Reverse a merge: everything it moved goes back and the merged customer is active again."""
    try:
        record = MergeRecord.objects.select_for_update().get(pk=merge_id)
    except MergeRecord.DoesNotExist:
        raise NotFound(_("Merge %(id)s does not exist.") % {"id": merge_id}, field="merge_id") from None
    if not record.can_reverse():
        raise Conflict(_("This merge was already reversed."), field="merge_id", code="reversed")
    # Lock both customers in primary-key order, as customer_merge does, so a merge and an
    # unmerge touching the same pair cannot deadlock.
    pair = {
        c.pk: c
        for c in Customer.objects.select_for_update()
        .filter(pk__in=[record.survivor_id, record.merged_id])
        .order_by("pk")
    }
    survivor, merged = pair[record.survivor_id], pair[record.merged_id]
    if survivor.status == CustomerStatus.MERGED:
        raise Conflict(
            _("The surviving customer was merged again since; reverse that merge first."), field="merge_id"
        )
    moved = record.moved
    for key, handler in MERGE_HANDLERS.items():
        if key in moved:
            handler.undo(merged.pk, moved[key])
    ContactPoint.objects.filter(pk__in=moved.get("contact_points", []), customer=survivor).update(
        customer=merged
    )
    ContactPoint.objects.filter(pk__in=moved.get("demoted_contact_points", [])).update(is_primary=True)
    Address.objects.filter(pk__in=moved.get("addresses", []), customer=survivor).update(customer=merged)
    Address.objects.filter(pk__in=moved.get("demoted_addresses", [])).update(is_primary=True)
    ExternalId.objects.filter(pk__in=moved.get("external_ids", []), customer=survivor).update(customer=merged)
    Interaction.objects.filter(pk__in=moved.get("interactions", []), customer=survivor).update(
        customer=merged
    )
    survivor.tags.remove(*moved.get("tags", []))
    for name, value in moved.get("survivor_before", {}).items():
        setattr(survivor, name, value)
    if moved.get("user"):
        survivor.user_id = None
        survivor.save(update_fields=["user"])
        merged.user_id = moved["user"]
    survivor.save()
    merged.status = CustomerStatus.ACTIVE
    merged.merged_into = None
    merged.save()
    record.reversed_at = timezone.now()
    record.reversed_by = by if getattr(by, "is_authenticated", False) else None
    record.save(update_fields=["reversed_at", "reversed_by"])
    customer_reindex(customer_id=survivor.pk)
    customer_reindex(customer_id=merged.pk)
    interaction_record(
        customer_id=survivor.pk,
        kind=InteractionKind.MERGE,
        actor=by,
        is_internal=True,
        source=record,
        summary=_("Reversed the merge of customer #%(id)s") % {"id": merged.pk},
    )
    audit.record(
        actor=by,
        verb="customer.unmerged",
        target=survivor,
        data={"merged_id": merged.pk, "merge_id": record.pk},
    )
    _on_commit(
        lambda: events.customer_unmerged.send(
            sender=Customer, survivor_id=survivor.pk, merged_id=merged.pk, merge_id=record.pk
        )
    )
    return record
