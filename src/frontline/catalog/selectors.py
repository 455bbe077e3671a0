"""Reads for the stock pages, the API and other apps: search, availability, product detail.

Every function runs a fixed number of queries whatever the catalogue's size: search reads one
page of ids (SKU/barcode prefix through their indexes, names through the full-text index),
availability is computed for a whole page of products in four queries (two when the warehouses
and transit times are cached: ``warehouse_cache``).
"""

from __future__ import annotations

import zoneinfo
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import connection
from django.db.models import Case, Count, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from frontline.core import search
from frontline.core.errors import NotFound

from . import availability as av
from . import warehouse_cache
from .choices import OPEN_INBOUND, Availability, InboundStatus
from .models import (
    BackorderPeriod,
    InboundShipment,
    InboundShipmentLine,
    Product,
    StockLevel,
    StockMovement,
    TransitTime,
    Warehouse,
)
from .services import SEARCH_KIND

MAX_QUERY = 100
#: The highest code point: ``prefix + HIGH`` is above every string starting with ``prefix``.
_HIGH = "\U0010ffff"


# --- results ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class WarehouseAvailability:
    warehouse: Warehouse
    on_hand: int
    reserved: int
    incoming: int
    outgoing: int
    threshold: int
    state: Availability
    restock: av.Restock | None
    promise: av.Promise | None
    transit: TransitTime | None
    source: str
    as_of: datetime | None

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved

    @property
    def forecast(self) -> int:
        return self.on_hand + self.incoming - self.outgoing


@dataclass(frozen=True)
class ProductAvailability:
    product: Product
    state: Availability
    on_hand: int
    reserved: int
    incoming: int
    restock: av.Restock | None
    promise: av.Promise | None
    warehouses: list[WarehouseAvailability]
    as_of: datetime | None

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved

    @property
    def shippable_now(self) -> bool:
        return self.promise is not None and not self.promise.from_restock


@dataclass(frozen=True)
class BackorderHistory:
    periods: list[BackorderPeriod]
    count_90_days: int
    days_90_days: float
    is_open: bool


@dataclass(frozen=True)
class ProductDetail:
    availability: ProductAvailability
    inbound_lines: list[InboundShipmentLine]
    backorders: BackorderHistory
    movements: list[StockMovement]


@dataclass(frozen=True)
class ProductPage:
    products: list[Product]
    total: int


# --- search ---------------------------------------------------------------------------------


def _prefix(field: str, prefix: str) -> Q:
    """``field`` starts with ``prefix``, as an index range scan on every database."""
    if connection.vendor == "postgresql":
        return Q(**{f"{field}__startswith": prefix})  # LIKE 'x%' on the varchar_pattern_ops index
    return Q(**{f"{field}__gte": prefix, f"{field}__lt": prefix + _HIGH})


def _code_filter(query: str) -> Q | None:
    """SKU prefix (as typed and upper-cased) or barcode prefix; ``None`` for a multi-word query."""
    term = query.strip()
    if not term or " " in term:
        return None
    condition = _prefix("sku", term)
    if term.upper() != term:
        condition |= _prefix("sku", term.upper())
    digits = term.replace("-", "")
    if digits.isdigit():
        condition |= _prefix("barcode", digits)
    return condition


def product_search(*, query: str, limit: int = 20) -> list[Product]:
    """Products matching ``query`` as you type: SKU or barcode prefix first (by SKU, so an exact
    SKU comes first), then name matches by rank. Two queries: the full-text ids, then one
    query for the prefix matches and those ids together."""
    query = query.strip()[:MAX_QUERY]
    if not query:
        return []
    ranked = search.search_ids(SEARCH_KIND, query, limit=limit)
    condition = Q(pk__in=ranked) if ranked else None
    code = _code_filter(query)
    if code is not None:
        condition = code if condition is None else code | condition
    if condition is None:
        return []
    prefix = code if code is not None else Q(pk__in=[])
    rows = list(
        Product.objects.filter(condition)
        .annotate(by_code=Case(When(prefix, then=Value(0)), default=Value(1)))
        .order_by("by_code", "sku")[: limit + len(ranked)]
    )
    found: list[Product] = [p for p in rows if p.by_code == 0]
    seen = {p.pk for p in found}
    by_id = {p.pk: p for p in rows}
    found += [by_id[pk] for pk in ranked if pk in by_id and pk not in seen]
    return found[:limit]


def product_list(*, query: str = "", offset: int = 0, limit: int = 50, category: str = "") -> ProductPage:
    """One page of products (the API): by SKU, or search results when ``query`` is given."""
    query = query.strip()[:MAX_QUERY]
    if query:
        # Search results are a short ranked list: page through the first hundreds of them.
        hits = product_search(query=query, limit=min(offset + limit, 500))
        if category:
            hits = [p for p in hits if p.category == category]
        return ProductPage(hits[offset : offset + limit], len(hits))
    qs: QuerySet[Product] = Product.objects.all()
    if category:
        qs = qs.filter(category=category)
    return ProductPage(list(qs.order_by("sku")[offset : offset + limit]), qs.count())


def product_get(*, product_id: int) -> Product:
    product = Product.objects.filter(pk=product_id).first()
    if product is None:
        raise NotFound(_("No such product."), field="product_id")
    return product


def product_get_by_sku(*, sku: str) -> Product:
    product = Product.objects.filter(sku=sku.strip()).first()
    if product is None:
        raise NotFound(_("No product with this SKU."), field="sku")
    return product


def warehouses_active() -> list[Warehouse]:
    return list(warehouse_cache.get().active)


# --- availability ---------------------------------------------------------------------------


def _transit_for(rows: Sequence[TransitTime], country: str) -> TransitTime | None:
    """The transit time to ``country``: a row for that country before the any-country one; the
    default service first, then the fastest."""
    for wanted in (country, ""):
        matching = [t for t in rows if t.country == wanted]
        if matching:
            return min(matching, key=lambda t: (not t.is_default, t.business_days, t.pk))
    return None


@dataclass
class _Queue:
    """What one warehouse's rows share within one call: its local date, the transit time to the
    destination, and the promise for goods in stock (the same for every product)."""

    warehouse: Warehouse
    today: date
    transit: TransitTime | None
    from_stock: av.Promise | None

    @classmethod
    def build(
        cls, warehouse: Warehouse, transits: Sequence[TransitTime], *, now: datetime, country: str
    ) -> _Queue:
        transit = _transit_for(transits, country or warehouse.country)
        return cls(
            warehouse=warehouse,
            today=now.astimezone(zoneinfo.ZoneInfo(warehouse.timezone)).date(),
            transit=transit,
            from_stock=av.promise(
                now=now,
                queue=warehouse,
                available=1,
                restock=None,
                transit_days=transit.business_days if transit else None,
            ),
        )

    def promise(self, *, now: datetime, available: int, restock: av.Restock | None) -> av.Promise | None:
        """``av.promise`` for one unit, with the from-stock case computed once."""
        if av.shippable(available):
            return self.from_stock
        if restock is None:
            return None
        return av.promise(
            now=now,
            queue=self.warehouse,
            available=available,
            restock=restock,
            transit_days=self.transit.business_days if self.transit else None,
        )


#: A warehouse with inbound stock for a product but no stock level row yet.
_NO_LEVEL: tuple[int, int, int, int, int | None, str, datetime | None] = (0, 0, 0, 0, None, "", None)


def _best_promise(promise: av.Promise) -> tuple[bool, date, date]:
    return (promise.from_restock, promise.ship_date, promise.delivery_date or promise.ship_date)


def availability_for_products(
    *, products: Sequence[Product], now: datetime | None = None, country: str = ""
) -> dict[int, ProductAvailability]:
    """Availability of each product overall and per active warehouse. Four queries, two when
    the warehouses and transit times are cached (``warehouse_cache``).

    ``country`` is the destination for delivery estimates; empty: each warehouse's own
    country (a domestic delivery).
    """
    now = now or timezone.now()
    if not products:
        return {}
    ids = [p.pk for p in products]
    reference = warehouse_cache.get()
    # (on_hand, reserved, incoming, outgoing, threshold, source, as of) by (product, warehouse);
    # plain tuples, and the figure's date as one column: each timestamp costs a parse.
    levels: dict[tuple[int, int], tuple[int, int, int, int, int | None, str, datetime | None]] = {
        (row[0], row[1]): row[2:]
        for row in StockLevel.objects.filter(product_id__in=ids, warehouse__is_active=True)
        .order_by()
        .values_list(
            "product_id",
            "warehouse_id",
            "on_hand",
            "reserved",
            "incoming",
            "outgoing",
            "low_stock_threshold",
            "source",
            Coalesce("source_synced_at", "updated_at"),
        )
    }
    restock_lines: dict[tuple[int, int], list[av.RestockLine]] = defaultdict(list)
    for product_id, warehouse_id, line_date, inbound_date, ordered, received, reference_code, inbound_id in (
        InboundShipmentLine.objects.filter(product_id__in=ids, inbound__status__in=OPEN_INBOUND)
        .order_by()
        .values_list(
            "product_id",
            "inbound__warehouse_id",
            "expected_date",
            "inbound__expected_date",
            "quantity_ordered",
            "quantity_received",
            "inbound__reference",
            "inbound_id",
        )
    ):
        restock_lines[(product_id, warehouse_id)].append(
            av.RestockLine(line_date or inbound_date, ordered - received, reference_code, inbound_id)
        )
    queues: dict[int, _Queue] = {}  # built for the warehouses these products are in
    today = now.date()

    result: dict[int, ProductAvailability] = {}
    warehouses = [(warehouse.pk, warehouse) for warehouse in reference.active]
    for product in products:
        rows: list[WarehouseAvailability] = []
        all_lines: list[av.RestockLine] = []
        product_id, discontinued = product.pk, product.is_discontinued
        for warehouse_id, warehouse in warehouses:
            level = levels.get((product_id, warehouse_id))
            lines = restock_lines.get((product_id, warehouse_id))
            if level is None and not lines:
                continue
            queue = queues.get(warehouse_id)
            if queue is None:
                queue = queues[warehouse_id] = _Queue.build(
                    warehouse, reference.transit_times.get(warehouse_id, ()), now=now, country=country
                )
            if lines:
                all_lines += lines
                restock = av.next_restock(lines, today=queue.today)
            else:
                restock = None
            on_hand, reserved, incoming, outgoing, threshold, source, as_of = level or _NO_LEVEL
            if threshold is None:
                threshold = product.low_stock_threshold
            available = on_hand - reserved
            rows.append(
                WarehouseAvailability(
                    warehouse=warehouse,
                    on_hand=on_hand,
                    reserved=reserved,
                    incoming=incoming,
                    outgoing=outgoing,
                    threshold=threshold,
                    state=av.availability_state(
                        available=available,
                        threshold=threshold,
                        discontinued=discontinued,
                        allow_backorder=product.allow_backorder,
                        restock_expected=restock is not None,
                    ),
                    restock=restock,
                    promise=queue.promise(now=now, available=available, restock=restock),
                    transit=queue.transit,
                    source=source,
                    as_of=as_of,
                )
            )
        on_hand = sum(r.on_hand for r in rows)
        reserved = sum(r.reserved for r in rows)
        restock = av.next_restock(all_lines, today=today) if all_lines else None
        promises = [r.promise for r in rows if r.promise is not None]
        ages = [r.as_of for r in rows if r.as_of is not None]
        result[product_id] = ProductAvailability(
            product=product,
            state=av.availability_state(
                available=on_hand - reserved,
                threshold=product.low_stock_threshold,
                discontinued=discontinued,
                allow_backorder=product.allow_backorder,
                restock_expected=restock is not None,
            ),
            on_hand=on_hand,
            reserved=reserved,
            incoming=sum(r.incoming for r in rows),
            restock=restock,
            promise=min(promises, key=_best_promise, default=None),
            warehouses=rows,
            as_of=min(ages) if ages else None,
        )
    return result


def product_availability(
    *, product_id: int, now: datetime | None = None, country: str = ""
) -> ProductAvailability:
    """One product's availability (the orders app: hold release dates, promised dates)."""
    product = product_get(product_id=product_id)
    return availability_for_products(products=[product], now=now, country=country)[product.pk]


def next_restock_for(
    *, product_id: int, warehouse_id: int | None = None, today: datetime | None = None
) -> av.Restock | None:
    """The next restock of a product (in one warehouse, or any): date, quantity, references."""
    now = today or timezone.now()
    lines = InboundShipmentLine.objects.filter(product_id=product_id, inbound__status__in=OPEN_INBOUND)
    if warehouse_id is not None:
        lines = lines.filter(inbound__warehouse_id=warehouse_id)
    rows = [
        av.RestockLine(line_date or inbound_date, ordered - received, reference, inbound_id)
        for line_date, inbound_date, ordered, received, reference, inbound_id in lines.values_list(
            "expected_date",
            "inbound__expected_date",
            "quantity_ordered",
            "quantity_received",
            "inbound__reference",
            "inbound_id",
        )
    ]
    return av.next_restock(rows, today=now.date())


# --- detail ---------------------------------------------------------------------------------

DETAIL_MOVEMENTS = 15
DETAIL_INBOUND = 20
DETAIL_BACKORDERS = 20


def backorder_history(periods: Sequence[BackorderPeriod], *, now: datetime) -> BackorderHistory:
    """How often and how long the product was backordered overall in the last 90 days."""
    overall = [p for p in periods if p.warehouse_id is None]
    since = now - timedelta(days=90)
    recent = [p for p in overall if (p.ended_at or now) >= since]
    seconds = sum(((p.ended_at or now) - max(p.started_at, since)).total_seconds() for p in recent)
    return BackorderHistory(
        periods=list(periods),
        count_90_days=len(recent),
        days_90_days=round(seconds / 86400, 1),
        is_open=any(p.ended_at is None for p in overall),
    )


def product_detail(*, product_id: int, now: datetime | None = None, country: str = "") -> ProductDetail:
    """Everything the stock page shows about one product. Eight queries."""
    return product_detail_of(product_get(product_id=product_id), now=now, country=country)


def product_detail_of(product: Product, *, now: datetime | None = None, country: str = "") -> ProductDetail:
    """``product_detail`` of a product already loaded: seven queries."""
    now = now or timezone.now()
    availability = availability_for_products(products=[product], now=now, country=country)[product.pk]
    lines = list(
        InboundShipmentLine.objects.filter(product=product)
        .exclude(inbound__status=InboundStatus.CANCELLED)
        .select_related("inbound", "inbound__warehouse")
        .order_by("-inbound__expected_date", "-id")[:DETAIL_INBOUND]
    )
    periods = list(
        BackorderPeriod.objects.filter(product=product).select_related("warehouse")[:DETAIL_BACKORDERS]
    )
    movements = list(
        StockMovement.objects.filter(product=product)
        .select_related("warehouse", "actor")
        .order_by("-occurred_at", "-id")[:DETAIL_MOVEMENTS]
    )
    return ProductDetail(
        availability=availability,
        inbound_lines=lines,
        backorders=backorder_history(periods, now=now),
        movements=movements,
    )


# --- inbound --------------------------------------------------------------------------------


@dataclass(frozen=True)
class InboundPage:
    shipments: list[InboundShipment]
    total: int


def inbound_list(
    *,
    status: str = "",
    open_only: bool = False,
    warehouse_id: int | None = None,
    offset: int = 0,
    limit: int = 50,
) -> InboundPage:
    """Inbound shipments by expected date, with line counts; a page at a time. Two queries."""
    qs: QuerySet[InboundShipment] = InboundShipment.objects.all()
    if status:
        qs = qs.filter(status=status)
    elif open_only:
        qs = qs.filter(status__in=OPEN_INBOUND)
    if warehouse_id:
        qs = qs.filter(warehouse_id=warehouse_id)
    total = qs.count()
    page: list[InboundShipment] = list(
        qs.select_related("warehouse")
        .annotate(line_count=Count("lines"))
        .order_by("expected_date", "id")[offset : offset + limit]
    )
    return InboundPage(page, total)


def inbound_get(*, inbound_id: int) -> InboundShipment:
    """An inbound shipment with its lines and their products (two queries)."""
    inbound = (
        InboundShipment.objects.select_related("warehouse")
        .prefetch_related("lines__product")
        .filter(pk=inbound_id)
        .first()
    )
    if inbound is None:
        raise NotFound(_("No such inbound shipment."), field="inbound_id")
    return inbound


def stock_levels_page(
    *, product_id: int | None = None, warehouse_id: int | None = None, offset: int = 0, limit: int = 50
) -> tuple[list[StockLevel], int]:
    qs = StockLevel.objects.all()
    if product_id:
        qs = qs.filter(product_id=product_id)
    if warehouse_id:
        qs = qs.filter(warehouse_id=warehouse_id)
    total = qs.count()
    rows = list(
        qs.select_related("product", "warehouse").order_by("product__sku", "warehouse__code")[
            offset : offset + limit
        ]
    )
    return rows, total
