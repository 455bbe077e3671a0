"""What the role dashboards show. Each read is one query, so a dashboard's query count is fixed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Q, Subquery

from frontline.customers.choices import CustomerStatus, InteractionKind
from frontline.customers.models import Customer, Interaction

# Timeline entries that are bookkeeping rather than contact with the customer.
_NOT_CONTACT = (InteractionKind.PROFILE, InteractionKind.MERGE, InteractionKind.SYSTEM)


@dataclass(frozen=True)
class CustomerCounts:
    active: int
    created_since: int
    with_consent: int


def customer_counts(*, since: datetime) -> CustomerCounts:
    row = Customer.objects.aggregate(
        active=Count("id", filter=Q(status=CustomerStatus.ACTIVE)),
        created_since=Count("id", filter=Q(created_at__gte=since) & ~Q(status=CustomerStatus.MERGED)),
        with_consent=Count("id", filter=Q(status=CustomerStatus.ACTIVE, marketing_consent=True)),
    )
    return CustomerCounts(row["active"], row["created_since"], row["with_consent"])


def recent_customers(*, limit: int = 8) -> list[Customer]:
    return list(
        Customer.objects.exclude(status=CustomerStatus.MERGED)
        .select_related("organisation")
        .order_by("-created_at", "-id")[:limit]
    )


def recent_interactions(*, limit: int = 10, window: int = 200) -> list[Interaction]:
    """The latest contacts with customers, across customers, newest first.

    Among the ``window`` most recently recorded entries (primary-key index), the ones that
    happened last: so imported or back-dated history does not crowd out today's calls, and the
    query never sorts the whole table. One query.
    """
    latest = Interaction.objects.exclude(kind__in=_NOT_CONTACT).order_by("-id").values("pk")[:window]
    return list(
        Interaction.objects.filter(pk__in=Subquery(latest))
        .select_related("customer", "actor")
        .order_by("-occurred_at", "-id")[:limit]
    )
