"""The reads behind intake: who sent a message, and which case it continues.

Every lookup compares normalized values (``customers.normalize``), so ``Justine@Example.com``
and ``justine@example.com``, or ``+1 (555) 123-4567`` and ``+15551234567``, are the same sender.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q

from frontline.cases.choices import ACTIVE_CATEGORIES
from frontline.cases.models import Case, Message
from frontline.customers.choices import ContactKind, CustomerStatus
from frontline.customers.models import ContactPoint, Customer, ExternalId

# A merged customer points at its survivor, which may itself have been merged later.
MAX_MERGE_HOPS = 10


@dataclass(frozen=True)
class SenderKeys:
    """The normalized identifiers of a sender; empty when not given."""

    email: str = ""
    phone: str = ""
    social: str = ""  # "platform:handle"
    external_system: str = ""
    external_value: str = ""

    def contact_keys(self) -> list[tuple[str, str]]:
        """(kind, normalized) in the order they identify a person, most reliable first."""
        keys = [
            (ContactKind.EMAIL.value, self.email),
            (ContactKind.PHONE.value, self.phone),
            (ContactKind.SOCIAL.value, self.social),
        ]
        return [(kind, value) for kind, value in keys if value]

    def lock_names(self) -> list[str]:
        names = [f"contact:{kind}:{value}" for kind, value in self.contact_keys()]
        if self.external_system and self.external_value:
            names.append(f"external:{self.external_system}:{self.external_value}")
        return names

    def is_empty(self) -> bool:
        return not (self.contact_keys() or (self.external_system and self.external_value))


def customer_resolve_merged(customer: Customer) -> Customer:
    """The customer itself, or the survivor it was (eventually) merged into."""
    current = customer
    for _hop in range(MAX_MERGE_HOPS):
        if current.status != CustomerStatus.MERGED or current.merged_into_id is None:
            return current
        current = Customer.objects.get(pk=current.merged_into_id)
    return current


def _best(customers: Iterable[Customer]) -> Customer | None:
    """Of several customers sharing an identifier: an active one before a blocked or merged one,
    then the oldest record (the others are duplicates that a merge will fold into it)."""
    ranked = sorted(customers, key=lambda c: (c.status != CustomerStatus.ACTIVE, c.pk))
    return ranked[0] if ranked else None


def customer_find_for_sender(keys: SenderKeys) -> Customer | None:
    """The customer who sent a message, found by (in this order) their id in another system,
    email, phone, then social handle; merged records lead to their survivor. None if unknown."""
    if keys.external_system and keys.external_value:
        ext = (
            ExternalId.objects.filter(system=keys.external_system, value=keys.external_value)
            .select_related("customer")
            .first()
        )
        if ext is not None:
            return customer_resolve_merged(ext.customer)
    for kind, normalized in keys.contact_keys():
        points = ContactPoint.objects.filter(kind=kind, normalized=normalized).select_related("customer")
        best = _best(point.customer for point in points.order_by("customer_id")[:20])
        if best is not None:
            return customer_resolve_merged(best)
    return None


def customer_ids_of(customer: Customer) -> set[int]:
    """The customer and every record merged into it: their cases are the customer's cases."""
    ids = {customer.pk}
    frontier = {customer.pk}
    for _hop in range(MAX_MERGE_HOPS):
        frontier = (
            set(Customer.objects.filter(merged_into_id__in=frontier).values_list("pk", flat=True)) - ids
        )
        if not frontier:
            break
        ids |= frontier
    return ids


def case_get_by_reference(reference: str) -> Case | None:
    return Case.objects.select_related("status").filter(reference=reference.strip()).first()


def case_resolve_merged(case: Case) -> Case:
    """The case itself, or the survivor it was (eventually) merged into."""
    current = case
    for _hop in range(MAX_MERGE_HOPS):
        if current.merged_into_id is None:
            return current
        current = Case.objects.select_related("status").get(pk=current.merged_into_id)
    return current


def case_for_thread(*, channel: str, thread_ids: Sequence[str], customer_ids: set[int]) -> Case | None:
    """The case of the newest earlier message (of one of these customers) whose channel id is
    one of ``thread_ids`` (an email's In-Reply-To / References, a chat's conversation id)."""
    wanted = [t.strip() for t in thread_ids if t and t.strip()][:100]
    if not wanted:
        return None
    message = (
        Message.objects.filter(channel=channel, external_id__in=wanted, case__customer_id__in=customer_ids)
        .select_related("case", "case__status")
        .order_by("-created_at", "-id")
        .first()
    )
    return message.case if message is not None else None


def case_to_continue(*, customer_ids: set[int], channel: str, since: datetime) -> Case | None:
    """The customer's most recently updated open case on ``channel`` touched since ``since``."""
    return (
        Case.objects.filter(
            customer_id__in=customer_ids,
            channel=channel,
            status_category__in=ACTIVE_CATEGORIES,
            merged_into__isnull=True,
            updated_at__gte=since,
        )
        .select_related("status")
        .order_by("-updated_at", "-id")
        .first()
    )


def message_get_by_external_id(*, channel: str, external_id: str) -> Message | None:
    if not external_id:
        return None
    return (
        Message.objects.filter(channel=channel, external_id=external_id)
        .select_related("case", "case__customer")
        .first()
    )


def open_cases_of(customer: Customer, *, limit: int = 20) -> list[Case]:
    """The customer's open (not resolved, closed or merged) cases, newest activity first."""
    return list(
        Case.objects.filter(
            customer_id__in=customer_ids_of(customer),
            status_category__in=ACTIVE_CATEGORIES,
            merged_into__isnull=True,
        )
        .select_related("status")
        .order_by("-updated_at", "-id")[:limit]
    )


def customers_with_phone(normalized: str, *, limit: int = 8) -> list[Customer]:
    """Exact phone matches (the caller id), merged records excluded."""
    if not normalized:
        return []
    return list(
        Customer.objects.filter(
            ~Q(status=CustomerStatus.MERGED),
            contact_points__kind=ContactKind.PHONE,
            contact_points__normalized=normalized,
        )
        .distinct()
        .order_by("pk")[:limit]
    )
