"""Every non-trivial read of orders: the Order Status Tracker lookup, the order detail, the
customer's orders (customer 360) and the filtered list of the API.

Each runs a fixed number of indexed queries whatever the number of orders: no ``icontains``
scans. Order numbers are matched exactly (unique index) and by prefix (PostgreSQL: the
``varchar_pattern_ops`` index Django adds for unique text columns; SQLite: a range on the
unique index); emails and phones are normalised like the customers app does and matched on
the order (``order_email_idx``/``order_phone_idx``) and on the customers' contact points;
names go through the customers' full-text index.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import connection
from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from frontline.accounts import roles
from frontline.core import search
from frontline.core.errors import NotFound
from frontline.customers.choices import ContactKind
from frontline.customers.models import ContactPoint
from frontline.customers.normalize import normalize_email, normalize_phone

from .choices import OPEN_STATUSES, OrderStatus
from .models import Order, OrderHold, OrderLine, OrderStatusChange

LOOKUP_LIMIT = 20
MIN_QUERY = 2
COUNT_CAP = 10_000
_PHONE = re.compile(r"^\+?[\d\s().\-/]+$")
_HIGHEST = "\U0010ffff"


def orders_visible_to(user: Any) -> QuerySet[Order]:
    """Staff with the order view permission see every order; a customer sees their own."""
    if not user.is_authenticated:
        return Order.objects.none()
    if user.has_perm(roles.ORDER_VIEW):
        return Order.objects.all()
    return Order.objects.filter(customer__user=user)


# --- the Order Status Tracker lookup -----------------------------------------------------------


@dataclass
class OrderMatch:
    order: Order
    matched_by: str  # number | email | phone | customer


def _number_prefix(query: str) -> Q:
    if connection.vendor == "postgresql":
        return Q(number__startswith=query)
    # SQLite's LIKE is case-insensitive and skips the index; a range on it is exact and indexed.
    return Q(number__gte=query, number__lt=query + _HIGHEST)


def _contact_customer_ids(kind: str, normalized: str) -> list[int]:
    return list(
        ContactPoint.objects.filter(kind=kind, normalized=normalized)
        .values_list("customer_id", flat=True)
        .order_by()[:50]
    )


def lookup_kind(query: str) -> str:
    """How ``order_lookup`` reads the query: ``email``, ``phone`` (and number), or ``text``."""
    if "@" in query:
        return "email"
    digits = re.sub(r"\D", "", query)
    if _PHONE.match(query) and len(digits) >= 6:
        return "phone"
    return "text"


def order_lookup(*, user: Any, query: str, limit: int = LOOKUP_LIMIT) -> list[OrderMatch]:
    """Find orders as the agent types: by order number (exact, then prefix), by email or
    phone (given at checkout or one of the customer's), or by customer name.

    Queries, whatever the number of orders: email 2; digits only 2, plus 2 when it can be a
    phone number (6+ digits); other text 2, plus 2 when it names customers. Exact number
    matches come first, then other numbers, then orders of matching customers, newest first.
    Tracking numbers are looked up by the shipping app.
    """
    query = " ".join(query.split())[:100]
    if len(query) < MIN_QUERY or not user.has_perm(roles.ORDER_VIEW):
        return []
    base = orders_visible_to(user).select_related("customer", "customer__organisation")
    found: dict[int, OrderMatch] = {}

    def add(orders: Iterable[Order], matched_by: str) -> None:
        for order in orders:
            if order.pk not in found and len(found) < limit:
                found[order.pk] = OrderMatch(order, matched_by)

    kind = lookup_kind(query)
    if kind != "email" and " " not in query:
        exact = list(base.filter(number__in={query, query.upper()}).order_by())
        prefix = sorted(base.filter(_number_prefix(query)).order_by()[:limit], key=lambda o: o.number)
        add(exact, "number")
        add(prefix, "number")
    if kind == "email":
        email = normalize_email(query)
        ids = _contact_customer_ids(ContactKind.EMAIL, email)
        add(
            base.filter(Q(email=email) | Q(customer_id__in=ids)).order_by("-placed_at", "-id")[:limit],
            "email",
        )
    elif kind == "phone":
        phone = normalize_phone(query)
        ids = _contact_customer_ids(ContactKind.PHONE, phone)
        add(
            base.filter(Q(phone=phone) | Q(customer_id__in=ids)).order_by("-placed_at", "-id")[:limit],
            "phone",
        )
    elif any(ch.isalpha() for ch in query):
        ids = search.search_ids("customer", query, limit=limit)
        if ids:
            add(base.filter(customer_id__in=ids).order_by("-placed_at", "-id")[:limit], "customer")
    return list(found.values())


# --- one order ---------------------------------------------------------------------------------


def order_detail_queryset(qs: QuerySet[Order]) -> QuerySet[Order]:
    """Everything the detail page and the API show: 1 query + 3 prefetches."""
    return qs.select_related("customer", "customer__organisation", "organisation").prefetch_related(
        Prefetch(
            "lines",
            queryset=OrderLine.objects.select_related("product", "source_warehouse").order_by("pk"),
        ),
        Prefetch(
            "holds",
            queryset=OrderHold.objects.select_related("placed_by", "released_by", "line").order_by(
                "-placed_at", "-pk"
            ),
        ),
        Prefetch(
            "status_changes", queryset=OrderStatusChange.objects.select_related("by").order_by("-at", "-pk")
        ),
    )


def order_get_for_user(*, user: Any, pk: int) -> Order:
    try:
        return order_detail_queryset(orders_visible_to(user)).get(pk=pk)
    except Order.DoesNotExist:
        raise NotFound(_("Order not found."), field="order") from None


def order_get_by_number(*, user: Any, number: str) -> Order:
    try:
        return order_detail_queryset(orders_visible_to(user)).get(number=number.strip())
    except Order.DoesNotExist:
        raise NotFound(_("Order not found."), field="number") from None


# --- a customer's orders (customer 360) ---------------------------------------------------------


@dataclass
class CustomerOrders:
    rows: list[Order]
    total: int
    open: int
    on_hold: int
    by_status: dict[str, int] = field(default_factory=dict)


def orders_for_customer(*, user: Any, customer_id: int, limit: int = 10) -> CustomerOrders:
    """The customer's newest ``limit`` orders and counts by status: 2 queries."""
    qs = orders_visible_to(user).filter(customer_id=customer_id)
    rows = list(qs.order_by("-placed_at", "-id")[:limit])
    counts = {row["status"]: row["n"] for row in qs.order_by().values("status").annotate(n=Count("id"))}
    return CustomerOrders(
        rows=rows,
        total=sum(counts.values()),
        open=sum(n for status, n in counts.items() if status in OPEN_STATUSES),
        on_hold=counts.get(OrderStatus.ON_HOLD, 0),
        by_status=counts,
    )


# --- the filtered list (API) --------------------------------------------------------------------


@dataclass
class OrderFilters:
    status: str = ""
    customer_id: int | None = None
    placed_from: date | None = None
    placed_to: date | None = None


@dataclass
class OrderPage:
    orders: list[Order]
    total: int
    capped: bool


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def order_list_for_user(*, user: Any, filters: OrderFilters, offset: int = 0, limit: int = 50) -> OrderPage:
    """One page of orders, newest first: a count (capped at ``COUNT_CAP``) and the page."""
    qs = orders_visible_to(user)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.customer_id:
        qs = qs.filter(customer_id=filters.customer_id)
    # Whole local days, as datetimes, so the (placed_at) indexes serve the range.
    if filters.placed_from:
        qs = qs.filter(placed_at__gte=_day_start(filters.placed_from))
    if filters.placed_to:
        qs = qs.filter(placed_at__lt=_day_start(filters.placed_to + timedelta(days=1)))
    total = qs.order_by()[: COUNT_CAP + 1].count()
    page = list(qs.select_related("customer").order_by("-placed_at", "-id")[offset : offset + limit])
    return OrderPage(page, min(total, COUNT_CAP), total > COUNT_CAP)


def holds_waiting_for_inbound(*, inbound_id: int) -> list[OrderHold]:
    """The active holds waiting for inbound restock ``inbound_id`` (the catalog's stock pages)."""
    return list(
        OrderHold.objects.filter(inbound_id=inbound_id, released_at__isnull=True)
        .select_related("order", "order__customer", "line")
        .order_by("placed_at", "pk")
    )
