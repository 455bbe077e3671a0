"""The ``customers`` importer: people from a shop, ERP or spreadsheet, created or updated.

Each row is one customer. A row updates an existing customer (not merged) when its
``external_system`` + ``external_id`` is known, else when its email is one of a customer's
emails (the customer whose primary email it is first, then the oldest), else - for a row with
neither email nor external id - when a customer has its phone and the same name; otherwise it
creates one.
Empty cells never erase anything: an update sets the non-empty cells that differ, adds emails,
phones, tags, the external id and the address the customer does not have yet.

Writes go through the services - new customers through ``customer_create_many`` (the rules of
``customer_create``, a few queries per 500 customers), changes through ``customer_update``,
``contact_point_add``, ``external_id_set`` and ``address_add`` - so each customer gets its usual
audit entries and events; the import adds one ``customer.imported`` entry with the counts. Search
documents are rebuilt in bulk at the end (``services.reindex_deferred``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import phonenumbers
from django.core.exceptions import ValidationError

from frontline.audit import services as audit
from frontline.core.errors import DomainError
from frontline.core.importing import (
    CREATE,
    UNCHANGED,
    UPDATE,
    ApplyError,
    ApplySummary,
    Column,
    Importer,
    ImportItem,
    ImportReport,
    Progress,
    Row,
    RowError,
)

from . import services
from .choices import ContactKind, CustomerStatus, PreferredChannel
from .models import Address, ContactPoint, Customer, ExternalId
from .normalize import clean_contact

#: ISO 3166-1 alpha-2 codes (plus XK, Kosovo, as shops use it).
COUNTRY_CODES = frozenset(
    (set(phonenumbers.SUPPORTED_REGIONS) - {"AC", "TA"}) | {"AQ", "BV", "GS", "HM", "PN", "TF", "UM"}
)
TRUE_WORDS = frozenset({"true", "yes", "1", "y"})
FALSE_WORDS = frozenset({"false", "no", "0", "n"})
_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,4})?$")
_TAG_SPLIT = re.compile(r"[,|]")
LOOKUP_CHUNK = 2000
CREATE_BATCH = 500

LENGTHS = {
    "first_name": 100,
    "last_name": 100,
    "job_title": 100,
    "organisation": 200,
    "email": 254,
    "phone": 40,
    "external_system": 50,
    "external_id": 100,
    "address_line1": 200,
    "address_line2": 200,
    "city": 100,
    "region": 100,
    "postal_code": 20,
}
NO_NAME = "has no name, email or phone: a customer needs at least one of them"
ADDRESS_COLUMNS = ("address_line1", "address_line2", "city", "region", "postal_code", "country")


@dataclass
class CustomerItem(ImportItem):
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    email_key: str = ""
    phone: str = ""
    phone_key: str = ""
    organisation: str = ""
    job_title: str = ""
    language: str = ""
    preferred_channel: str = ""
    marketing_consent: bool | None = None
    tags: list[str] = field(default_factory=list)
    external: tuple[str, str] | None = None
    address: services.AddressInput | None = None
    # Set by resolve() for updates: the customer and what changes on it.
    customer_id: int | None = None
    matched_by: str = ""
    changes: dict[str, Any] = field(default_factory=dict)
    organisation_change: str | None = None
    tags_after: list[str] | None = None
    add_contacts: list[services.ContactInput] = field(default_factory=list)
    set_external: bool = False
    add_address: bool = False

    def profile(self) -> dict[str, Any]:
        """The non-empty profile values of the row, by ``Customer`` field."""
        values: dict[str, Any] = {
            "first_name": self.first_name,
            "last_name": self.last_name,
            "job_title": self.job_title,
            "language": self.language,
            "preferred_channel": self.preferred_channel,
        }
        profile = {k: v for k, v in values.items() if v}
        if self.marketing_consent is not None:
            profile["marketing_consent"] = self.marketing_consent
        return profile


@dataclass
class _Existing:
    """What the database holds about a matched customer, loaded in bulk."""

    profile: dict[str, Any]
    organisation: str = ""
    contacts: set[tuple[str, str]] = field(default_factory=set)
    external: dict[str, str] = field(default_factory=dict)
    tags: set[str] = field(default_factory=set)
    addresses: set[tuple[str, ...]] = field(default_factory=set)


def _address_key(line1: str, postal_code: str, city: str, country: str) -> tuple[str, ...]:
    return tuple(" ".join(v.casefold().split()) for v in (line1, postal_code, city, country))


def _chunks(values: Sequence[Any], size: int = LOOKUP_CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _name_key(first: str, last: str) -> str:
    return " ".join(f"{first} {last}".casefold().split())


def _same_name(item: CustomerItem, candidates: list[tuple[int, str]]) -> int | None:
    wanted = _name_key(item.first_name, item.last_name)
    return next((customer_id for customer_id, name in candidates if name == wanted), None)


def _shown(value: str, limit: int = 40) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"


class CustomerImporter(Importer):
    kind = "customers"
    description = "Customers (people): created, or updated when the external id or an email matches."
    permission = "customers.import_customer"
    columns = (
        Column("first_name"),
        Column("last_name"),
        Column("email", help="matched against existing customers' emails"),
        Column("phone", help="+49 30 1234567, or national digits"),
        Column("organisation", help="created if new"),
        Column("job_title"),
        Column("language", help="en, es, de, ar, pt-br..."),
        Column("preferred_channel", help=", ".join(PreferredChannel.values)),
        Column("marketing_consent", help="true/false, yes/no, 1/0"),
        Column("tags", help="separated by , or |"),
        Column("external_system", help="e.g. shop; with external_id"),
        Column("external_id", help="the customer's id in that system; matched first"),
        Column("address_line1"),
        Column("address_line2"),
        Column("city"),
        Column("region"),
        Column("postal_code"),
        Column("country", help="ISO code: DE, US, FR..."),
    )

    # --- header -------------------------------------------------------------------------------
    def check_columns(self, headers: Sequence[str]) -> list[str]:
        problems = super().check_columns(headers)
        if not {"first_name", "last_name", "email", "phone"} & set(headers):
            problems.append(
                "Name the customers or give their contacts: first_name, last_name, email or phone."
            )
        for one, other in (("external_system", "external_id"), ("external_id", "external_system")):
            if one in headers and other not in headers:
                problems.append(f"The column {one} needs the column {other}.")
        if {"address_line1", "city", "country"} & set(headers) and not {
            "address_line1",
            "city",
            "country",
        } <= set(headers):
            problems.append("An address needs the columns address_line1, city and country.")
        return problems

    # --- one row ------------------------------------------------------------------------------
    def clean_row(self, row: Row) -> CustomerItem | list[RowError]:
        errors: list[RowError] = []

        def fail(column: str, reason: str) -> None:
            errors.append(RowError(row.line, column, reason))

        for column, limit in LENGTHS.items():
            if len(row.get(column)) > limit:
                fail(column, f"is {len(row.get(column))} characters long; at most {limit} fit")
        item = CustomerItem(
            line=row.line,
            first_name=row.get("first_name"),
            last_name=row.get("last_name"),
            organisation=" ".join(row.get("organisation").split()),
            job_title=row.get("job_title"),
        )

        email = row.get("email")
        if email and len(email) <= LENGTHS["email"]:
            try:
                item.email, item.email_key = clean_contact(ContactKind.EMAIL, email)
            except ValidationError:
                fail("email", f"{_shown(email)!r} is not a valid email address")
        phone = row.get("phone")
        if phone and len(phone) <= LENGTHS["phone"]:
            try:
                item.phone, item.phone_key = clean_contact(ContactKind.PHONE, phone)
            except ValidationError:
                fail(
                    "phone",
                    f"{_shown(phone)!r} is not a phone number (6 to 15 digits, optionally starting with +)",
                )

        language = row.get("language").lower().replace("_", "-")
        if language:
            if _LANGUAGE.match(language) and len(language) <= 8:
                item.language = language
            else:
                fail("language", f"{_shown(language)!r} is not a language code such as en, es, ar or pt-br")
        channel = row.get("preferred_channel").lower()
        if channel:
            if channel in PreferredChannel.values:
                item.preferred_channel = channel
            else:
                fail(
                    "preferred_channel",
                    f"{_shown(channel)!r} is not one of {', '.join(PreferredChannel.values)}",
                )
        consent = row.get("marketing_consent").lower()
        if consent:
            if consent in TRUE_WORDS:
                item.marketing_consent = True
            elif consent in FALSE_WORDS:
                item.marketing_consent = False
            else:
                fail("marketing_consent", f"{_shown(consent)!r} is not true/false, yes/no or 1/0")

        tags = []
        for raw in _TAG_SPLIT.split(row.get("tags")):
            tag = " ".join(raw.split()).lower()
            if not tag:
                continue
            if len(tag) > 50:
                fail("tags", f"the tag {_shown(tag)!r} is longer than 50 characters")
            elif tag not in tags:
                tags.append(tag)
        item.tags = tags

        system, ext_value = row.get("external_system").lower(), row.get("external_id")
        if ext_value and not system:
            fail("external_system", "is required when external_id is given")
        elif system and not ext_value:
            fail("external_id", "is required when external_system is given")
        elif system and ext_value:
            item.external = (system, ext_value)

        if any(row.get(c) for c in ADDRESS_COLUMNS):
            for column in ("address_line1", "city", "country"):
                if not row.get(column):
                    fail(column, "is required when an address is given")
            country = row.get("country").upper()
            if country and country not in COUNTRY_CODES:
                fail(
                    "country",
                    f"{_shown(country)!r} is not a two-letter ISO country code such as DE, US or FR",
                )
            item.address = services.AddressInput(
                line1=row.get("address_line1"),
                line2=row.get("address_line2"),
                city=row.get("city"),
                region=row.get("region"),
                postal_code=row.get("postal_code"),
                country=country,
            )

        if not (item.first_name or item.last_name or email or phone or item.external):
            fail("", NO_NAME)
        return errors or item

    def item_keys(self, item: ImportItem) -> Iterable[tuple[str, str]]:
        assert isinstance(item, CustomerItem)
        keys = [("email", item.email_key)]
        if item.external:
            keys.append(("external_id", f"{item.external[0]}:{item.external[1]}"))
        return keys

    # --- against the database -----------------------------------------------------------------
    def resolve(self, items: list[ImportItem]) -> tuple[list[ImportItem], list[RowError]]:
        rows = [i for i in items if isinstance(i, CustomerItem)]
        by_external = self._match_external([i.external for i in rows if i.external])
        by_email = self._match_email([i.email_key for i in rows if i.email_key])
        phone_only = [i for i in rows if i.phone_key and not i.email_key and not i.external]
        by_phone = self._match_phone([i.phone_key for i in phone_only])
        for item in rows:
            matched = by_external.get(item.external) if item.external else None
            item.matched_by = "external_id" if matched is not None else ""
            if matched is None and item.email_key:
                matched = by_email.get(item.email_key)
                item.matched_by = "email" if matched is not None else ""
            if matched is None and not item.email_key and not item.external and item.phone_key:
                matched = _same_name(item, by_phone.get(item.phone_key, []))
                item.matched_by = "phone" if matched is not None else ""
            item.customer_id = matched
            item.action = CREATE if matched is None else UPDATE

        existing = self._load(sorted({i.customer_id for i in rows if i.customer_id}))
        kept: list[ImportItem] = []
        errors: list[RowError] = []
        first_line: dict[int, int] = {}
        for item in rows:
            if item.customer_id is None:
                if item.first_name or item.last_name or item.email or item.phone:
                    kept.append(item)
                else:  # only an external id, and it matches no one
                    errors.append(RowError(item.line, "", f"{NO_NAME} (the external id matches no customer)"))
                continue
            earlier = first_line.get(item.customer_id)
            if earlier is not None:
                errors.append(
                    RowError(
                        item.line, "", f"updates the same customer (#{item.customer_id}) as line {earlier}"
                    )
                )
                continue
            first_line[item.customer_id] = item.line
            current = existing[item.customer_id]
            if item.external and item.matched_by == "email":
                system, value = item.external
                held = current.external.get(system)
                if held is not None and held != value:
                    errors.append(
                        RowError(
                            item.line,
                            "external_id",
                            f"the email {item.email} belongs to customer #{item.customer_id}, whose "
                            f"{system} id is {held}, not {value}",
                        )
                    )
                    continue
            self._plan_update(item, current)
            kept.append(item)
        return kept, errors

    def _match_external(self, keys: list[tuple[str, str]]) -> dict[tuple[str, str], int]:
        found: dict[tuple[str, str], int] = {}
        merged_into: dict[int, int] = {}
        for chunk in _chunks(sorted(set(keys))):
            wanted = set(chunk)
            rows = ExternalId.objects.filter(
                system__in={s for s, _v in chunk}, value__in=[v for _s, v in chunk]
            ).values_list("system", "value", "customer_id", "customer__status", "customer__merged_into_id")
            for system, value, customer_id, status, target in rows:
                if (system, value) in wanted:
                    found[(system, value)] = customer_id
                    if status == CustomerStatus.MERGED and target:
                        merged_into[customer_id] = target
        return {key: self._survivor(customer_id, merged_into) for key, customer_id in found.items()}

    def _survivor(self, customer_id: int, merged_into: dict[int, int]) -> int:
        """An id left on a merged customer leads to the customer it was merged into."""
        seen = {customer_id}
        while customer_id in merged_into:
            customer_id = merged_into[customer_id]
            if customer_id in seen:
                break
            seen.add(customer_id)
            status, target = (
                Customer.objects.filter(pk=customer_id).values_list("status", "merged_into_id").get()
            )
            if status == CustomerStatus.MERGED and target:
                merged_into[customer_id] = target
        return customer_id

    def _match_email(self, keys: list[str]) -> dict[str, int]:
        best: dict[str, tuple[bool, int]] = {}
        for chunk in _chunks(sorted(set(keys))):
            for normalized, customer_id, is_primary in (
                ContactPoint.objects.filter(kind=ContactKind.EMAIL, normalized__in=chunk)
                .exclude(customer__status=CustomerStatus.MERGED)
                .values_list("normalized", "customer_id", "is_primary")
            ):
                rank = (not is_primary, customer_id)
                if normalized not in best or rank < best[normalized]:
                    best[normalized] = rank
        return {email: rank[1] for email, rank in best.items()}

    def _match_phone(self, keys: list[str]) -> dict[str, list[tuple[int, str]]]:
        """Customers by phone, with their names: a row with neither email nor external id
        matches the customer with the same phone and the same name."""
        found: dict[str, list[tuple[int, str]]] = {}
        for chunk in _chunks(sorted(set(keys))):
            for normalized, customer_id, first, last in (
                ContactPoint.objects.filter(kind=ContactKind.PHONE, normalized__in=chunk)
                .exclude(customer__status=CustomerStatus.MERGED)
                .order_by("customer_id")
                .values_list("normalized", "customer_id", "customer__first_name", "customer__last_name")
            ):
                found.setdefault(normalized, []).append((customer_id, _name_key(first, last)))
        return found

    def _load(self, ids: list[int]) -> dict[int, _Existing]:
        found: dict[int, _Existing] = {}
        fields = (
            "first_name",
            "last_name",
            "job_title",
            "language",
            "preferred_channel",
            "marketing_consent",
        )
        for chunk in _chunks(ids):
            for values in Customer.objects.filter(pk__in=chunk).values("pk", "organisation__name", *fields):
                found[values["pk"]] = _Existing(
                    profile={f: values[f] for f in fields}, organisation=values["organisation__name"] or ""
                )
            for customer_id, kind, normalized in ContactPoint.objects.filter(
                customer_id__in=chunk
            ).values_list("customer_id", "kind", "normalized"):
                found[customer_id].contacts.add((kind, normalized))
            for customer_id, system, value in ExternalId.objects.filter(customer_id__in=chunk).values_list(
                "customer_id", "system", "value"
            ):
                found[customer_id].external.setdefault(system, value)
            for customer_id, name in Customer.tags.through.objects.filter(customer_id__in=chunk).values_list(
                "customer_id", "tag__name"
            ):
                found[customer_id].tags.add(name)
            for customer_id, *parts in Address.objects.filter(customer_id__in=chunk).values_list(
                "customer_id", "line1", "postal_code", "city", "country"
            ):
                found[customer_id].addresses.add(_address_key(*parts))
        return found

    def _plan_update(self, item: CustomerItem, current: _Existing) -> None:
        item.changes = {k: v for k, v in item.profile().items() if current.profile.get(k) != v}
        if item.organisation and item.organisation.casefold() != current.organisation.casefold():
            item.organisation_change = item.organisation
        new_tags = [t for t in item.tags if t not in current.tags]
        if new_tags:
            item.tags_after = sorted(current.tags | set(new_tags))
        if item.email_key and (ContactKind.EMAIL, item.email_key) not in current.contacts:
            item.add_contacts.append(services.ContactInput(kind=ContactKind.EMAIL, value=item.email))
        if item.phone_key and (ContactKind.PHONE, item.phone_key) not in current.contacts:
            item.add_contacts.append(services.ContactInput(kind=ContactKind.PHONE, value=item.phone))
        item.set_external = bool(item.external and item.external[0] not in current.external)
        if item.address is not None:
            a = item.address
            item.add_address = (
                _address_key(a.line1, a.postal_code, a.city, a.country) not in current.addresses
            )
        changed = (
            item.changes
            or item.organisation_change
            or item.tags_after
            or item.add_contacts
            or item.set_external
            or item.add_address
        )
        item.action = UPDATE if changed else UNCHANGED

    # --- writing ------------------------------------------------------------------------------
    def apply(
        self, items: Sequence[ImportItem], *, by: Any | None, progress: Progress, report: ImportReport
    ) -> ApplySummary:
        rows = [i for i in items if isinstance(i, CustomerItem)]
        creates = [i for i in rows if i.action == CREATE]
        updates = [i for i in rows if i.action == UPDATE]
        summary = ApplySummary(unchanged=sum(1 for i in rows if i.action == UNCHANGED))
        progress(summary.unchanged)
        created_ids: list[int] = []
        with services.reindex_deferred():
            for start in range(0, len(creates), CREATE_BATCH):
                batch = creates[start : start + CREATE_BATCH]
                try:
                    customers = services.customer_create_many(by=by, items=[_input(i) for i in batch])
                except services.BulkItemError as exc:
                    raise ApplyError(
                        RowError(batch[exc.index].line, _column_of(exc.field), exc.message)
                    ) from exc
                created_ids += [c.pk for c in customers]
                summary.created += len(customers)
                progress(len(customers))
            for item in updates:
                try:
                    self._update(item, by)
                except DomainError as exc:
                    raise ApplyError(RowError(item.line, _column_of(exc.field), exc.message)) from exc
                summary.updated += 1
                progress(1)
            audit.record(
                actor=by,
                verb="customer.imported",
                data={
                    "source": report.source,
                    "rows_read": report.rows_read,
                    "invalid": report.invalid,
                    "created": summary.created,
                    "updated": summary.updated,
                    "unchanged": summary.unchanged,
                    "created_ids": created_ids[:1000],
                    "updated_ids": [i.customer_id for i in updates][:1000],
                },
            )
        return summary

    def _update(self, item: CustomerItem, by: Any | None) -> None:
        customer_id = item.customer_id
        assert customer_id is not None
        if item.changes or item.organisation_change or item.tags_after:
            services.customer_update(
                customer_id=customer_id,
                by=by,
                changes=item.changes,
                organisation_name=item.organisation_change,
                tags=item.tags_after,
            )
        for contact in item.add_contacts:
            services.contact_point_add(customer_id=customer_id, by=by, contact=contact)
        if item.set_external and item.external:
            services.external_id_set(
                customer_id=customer_id, by=by, system=item.external[0], value=item.external[1]
            )
        if item.add_address and item.address:
            services.address_add(customer_id=customer_id, by=by, address=item.address)


def _input(item: CustomerItem) -> services.CustomerInput:
    contacts = []
    if item.email:
        contacts.append(services.ContactInput(kind=ContactKind.EMAIL, value=item.email, is_primary=True))
    if item.phone:
        contacts.append(services.ContactInput(kind=ContactKind.PHONE, value=item.phone, is_primary=True))
    data = services.CustomerInput(
        first_name=item.first_name,
        last_name=item.last_name,
        organisation_name=item.organisation,
        job_title=item.job_title,
        tags=item.tags,
        contacts=contacts,
        addresses=[item.address] if item.address else [],
        external_ids=dict([item.external]) if item.external else {},
    )
    if item.language:
        data.language = item.language
    if item.preferred_channel:
        data.preferred_channel = item.preferred_channel
    if item.marketing_consent is not None:
        data.marketing_consent = item.marketing_consent
    return data


def _column_of(service_field: str | None) -> str:
    """The file column for a field name a service reported."""
    if not service_field:
        return ""
    name = service_field.split(".")[-1].split("[")[0]
    return {
        "contacts": "email",
        "value": "email",
        "external_ids": "external_id",
        "organisation_id": "organisation",
        "line1": "address_line1",
        "tags": "tags",
    }.get(name, name)
