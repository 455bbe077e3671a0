"""The catalog REST API (mounted under /api/v1/catalog by frontline.config.api).

Thin: schemas check shape, selectors read, services write. ``STOCK_VIEW`` reads,
``STOCK_CHANGE`` writes; errors use the shared shape (``DomainError`` -> 4xx naming the field).
Lists are paginated in the database (``limit``/``offset``).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.params import functions as param
from ninja.responses import Status

from frontline.accounts import roles
from frontline.core.api import MAX_ID, MAX_OFFSET, page_links, require_perm, responses

from . import availability as av
from . import selectors, services
from .choices import Availability, InboundStatus
from .models import InboundShipment, StockLevel

router = Router(tags=["catalog"])

ProductId = param.Path(..., ge=1, le=MAX_ID, description="The product's id.")
InboundId = param.Path(..., ge=1, le=MAX_ID, description="The inbound shipment's id.")


def _reader(request: HttpRequest) -> Any:
    return require_perm(request.auth, roles.STOCK_VIEW)  # type: ignore[attr-defined]


def _writer(request: HttpRequest) -> Any:
    user = _reader(request)
    return require_perm(user, roles.STOCK_CHANGE)


# --- schemas --------------------------------------------------------------------------------


class RestockOut(Schema):
    date: date | None
    quantity: int
    overdue: bool
    references: list[str]

    @classmethod
    def build(cls, restock: av.Restock | None) -> RestockOut | None:
        if restock is None:
            return None
        return cls(
            date=restock.date,
            quantity=restock.quantity,
            overdue=restock.overdue,
            references=list(restock.references),
        )


class PromiseOut(Schema):
    ship_date: date
    delivery_date: date | None
    from_restock: bool

    @classmethod
    def build(cls, promise: av.Promise | None) -> PromiseOut | None:
        if promise is None:
            return None
        return cls(
            ship_date=promise.ship_date,
            delivery_date=promise.delivery_date,
            from_restock=promise.from_restock,
        )


class WarehouseAvailabilityOut(Schema):
    warehouse: str = Field(description="The warehouse code.")
    warehouse_id: int
    state: Availability
    on_hand: int
    reserved: int
    available: int
    incoming: int
    forecast: int
    next_restock: RestockOut | None
    promise: PromiseOut | None
    carrier: str | None
    transit_days: int | None
    source: str
    as_of: datetime | None


class ProductOut(Schema):
    id: int
    sku: str
    name: str
    category: str
    barcode: str
    price: Decimal
    currency: str
    low_stock_threshold: int
    allow_backorder: bool
    discontinued_at: datetime | None
    state: Availability
    on_hand: int
    reserved: int
    available: int
    incoming: int
    next_restock: RestockOut | None
    promise: PromiseOut | None = Field(
        description="Earliest ship and delivery dates for one unit ordered now."
    )

    @classmethod
    def build(cls, a: selectors.ProductAvailability) -> ProductOut:
        p = a.product
        return cls(
            id=p.pk,
            sku=p.sku,
            name=p.name,
            category=p.category,
            barcode=p.barcode,
            price=p.price,
            currency=p.currency,
            low_stock_threshold=p.low_stock_threshold,
            allow_backorder=p.allow_backorder,
            discontinued_at=p.discontinued_at,
            state=a.state,
            on_hand=a.on_hand,
            reserved=a.reserved,
            available=a.available,
            incoming=a.incoming,
            next_restock=RestockOut.build(a.restock),
            promise=PromiseOut.build(a.promise),
        )


class BackorderPeriodOut(Schema):
    warehouse: str | None
    started_at: datetime
    ended_at: datetime | None


class ProductDetailOut(ProductOut):
    description: str
    attributes: dict[str, Any]
    warehouses: list[WarehouseAvailabilityOut]
    backorders_90_days: int
    backorder_days_90_days: float
    backordered_now: bool
    backorder_periods: list[BackorderPeriodOut]

    @classmethod
    def from_detail(cls, detail: selectors.ProductDetail) -> ProductDetailOut:
        a = detail.availability
        base = ProductOut.build(a).model_dump()
        return cls(
            **base,
            description=a.product.description,
            attributes=a.product.attributes,
            warehouses=[
                WarehouseAvailabilityOut(
                    warehouse=w.warehouse.code,
                    warehouse_id=w.warehouse.pk,
                    state=w.state,
                    on_hand=w.on_hand,
                    reserved=w.reserved,
                    available=w.available,
                    incoming=w.incoming,
                    forecast=w.forecast,
                    next_restock=RestockOut.build(w.restock),
                    promise=PromiseOut.build(w.promise),
                    carrier=w.transit.carrier_code if w.transit else None,
                    transit_days=w.transit.business_days if w.transit else None,
                    source=w.source,
                    as_of=w.as_of,
                )
                for w in a.warehouses
            ],
            backorders_90_days=detail.backorders.count_90_days,
            backorder_days_90_days=detail.backorders.days_90_days,
            backordered_now=detail.backorders.is_open,
            backorder_periods=[
                BackorderPeriodOut(
                    warehouse=p.warehouse.code if p.warehouse else None,
                    started_at=p.started_at,
                    ended_at=p.ended_at,
                )
                for p in detail.backorders.periods
            ],
        )


class ProductPage(Schema):
    count: int
    next: str | None
    previous: str | None
    results: list[ProductOut]


class StockLevelOut(Schema):
    product_id: int
    sku: str
    warehouse_id: int
    warehouse: str
    on_hand: int
    reserved: int
    available: int
    incoming: int
    outgoing: int
    forecast: int
    source: str
    as_of: datetime | None

    @classmethod
    def build(cls, level: StockLevel) -> StockLevelOut:
        return cls(
            product_id=level.product_id,
            sku=level.product.sku,
            warehouse_id=level.warehouse_id,
            warehouse=level.warehouse.code,
            on_hand=level.on_hand,
            reserved=level.reserved,
            available=level.available,
            incoming=level.incoming,
            outgoing=level.outgoing,
            forecast=level.forecast,
            source=level.source,
            as_of=level.source_synced_at or level.updated_at,
        )


class StockLevelPage(Schema):
    count: int
    next: str | None
    previous: str | None
    results: list[StockLevelOut]


class InboundLineOut(Schema):
    id: int
    product_id: int
    sku: str
    quantity_ordered: int
    quantity_received: int
    remaining: int
    expected_date: date | None


class InboundOut(Schema):
    id: int
    reference: str
    supplier: str
    warehouse: str
    status: InboundStatus
    expected_date: date | None
    original_expected_date: date | None
    carrier_code: str
    tracking_number: str
    received_at: datetime | None
    lines: list[InboundLineOut]

    @classmethod
    def build(cls, inbound: InboundShipment) -> InboundOut:
        return cls(
            id=inbound.pk,
            reference=inbound.reference,
            supplier=inbound.supplier,
            warehouse=inbound.warehouse.code,
            status=InboundStatus(inbound.status),
            expected_date=inbound.expected_date,
            original_expected_date=inbound.original_expected_date,
            carrier_code=inbound.carrier_code,
            tracking_number=inbound.tracking_number,
            received_at=inbound.received_at,
            lines=[
                InboundLineOut(
                    id=line.pk,
                    product_id=line.product_id,
                    sku=line.product.sku,
                    quantity_ordered=line.quantity_ordered,
                    quantity_received=line.quantity_received,
                    remaining=line.remaining,
                    expected_date=line.effective_expected_date(),
                )
                for line in inbound.lines.all()
            ],
        )


class InboundSummaryOut(Schema):
    id: int
    reference: str
    supplier: str
    warehouse: str
    status: InboundStatus
    expected_date: date | None
    original_expected_date: date | None
    line_count: int


class InboundPage(Schema):
    count: int
    next: str | None
    previous: str | None
    results: list[InboundSummaryOut]


class AdjustIn(Schema):
    warehouse_id: int = Field(..., ge=1, le=MAX_ID)
    delta: int = Field(..., description="Units to add (positive) or remove (negative).")
    note: str = Field(..., max_length=500, description="Why the stock changes.")


class InboundLineIn(Schema):
    product_id: int = Field(..., ge=1, le=MAX_ID)
    quantity: int
    expected_date: date | None = None


class InboundCreateIn(Schema):
    reference: str = Field(..., max_length=64, description="PO or ASN number, unique.")
    warehouse_id: int = Field(..., ge=1, le=MAX_ID)
    supplier: str = Field("", max_length=200)
    supplier_reference: str = Field("", max_length=100)
    expected_date: date | None = None
    status: InboundStatus = InboundStatus.ORDERED
    carrier_code: str = Field("", max_length=50)
    tracking_number: str = Field("", max_length=100)
    lines: list[InboundLineIn] = Field(..., max_length=500)


class ReceiveLineIn(Schema):
    line_id: int = Field(..., ge=1, le=MAX_ID)
    quantity: int


class ReceiveIn(Schema):
    lines: list[ReceiveLineIn] | None = Field(None, description="Omit to receive everything that remains.")
    note: str = Field("", max_length=500)


# --- endpoints -----------------------------------------------------------------------------------


class ProductListParams(Schema):
    q: str = Field("", max_length=100, description="SKU or barcode prefix, or words of the name.")
    category: str = Field("", max_length=100)
    country: str = Field("", pattern=r"^([A-Za-z]{2})?$", description="Destination for delivery estimates.")
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


@router.get("/products", response=responses(200, ProductPage), url_name="catalog_product_list")
def product_list(request: HttpRequest, params: Query[ProductListParams]) -> dict[str, Any]:
    """Products with their availability, one page at a time (search with ``q``)."""
    _reader(request)
    page = selectors.product_list(
        query=params.q, category=params.category, offset=params.offset, limit=params.limit
    )
    found = selectors.availability_for_products(products=page.products, country=params.country.upper())
    next_url, previous_url = page_links(request, offset=params.offset, limit=params.limit, count=page.total)
    return {
        "count": page.total,
        "next": next_url,
        "previous": previous_url,
        "results": [ProductOut.build(found[p.pk]) for p in page.products],
    }


class DetailParams(Schema):
    country: str = Field("", pattern=r"^([A-Za-z]{2})?$", description="Destination for delivery estimates.")


@router.get(
    "/products/{int:product_id}", response=responses(200, ProductDetailOut), url_name="catalog_product_detail"
)
def product_detail(
    request: HttpRequest, params: Query[DetailParams], product_id: int = ProductId
) -> ProductDetailOut:
    """Availability per warehouse, earliest ship and delivery dates, next restock, backorder history."""
    _reader(request)
    return ProductDetailOut.from_detail(
        selectors.product_detail(product_id=product_id, country=params.country.upper())
    )


@router.post(
    "/products/{int:product_id}/adjust",
    response=responses(200, StockLevelOut),
    url_name="catalog_stock_adjust",
)
def stock_adjust(request: HttpRequest, payload: AdjustIn, product_id: int = ProductId) -> StockLevelOut:
    """Correct the on-hand figure of a product in one warehouse (a ledger ``adjustment``)."""
    user = _writer(request)
    level = services.stock_adjust(
        product_id=product_id,
        warehouse_id=payload.warehouse_id,
        delta=payload.delta,
        note=payload.note,
        by=user,
    )
    level = StockLevel.objects.select_related("product", "warehouse").get(pk=level.pk)
    return StockLevelOut.build(level)


class LevelParams(Schema):
    product_id: int | None = Field(None, ge=1, le=MAX_ID)
    warehouse_id: int | None = Field(None, ge=1, le=MAX_ID)
    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


@router.get("/stock-levels", response=responses(200, StockLevelPage), url_name="catalog_stock_levels")
def stock_levels(request: HttpRequest, params: Query[LevelParams]) -> dict[str, Any]:
    """Stock figures per product and warehouse, with their source and age."""
    _reader(request)
    rows, total = selectors.stock_levels_page(
        product_id=params.product_id,
        warehouse_id=params.warehouse_id,
        offset=params.offset,
        limit=params.limit,
    )
    next_url, previous_url = page_links(request, offset=params.offset, limit=params.limit, count=total)
    return {
        "count": total,
        "next": next_url,
        "previous": previous_url,
        "results": [StockLevelOut.build(r) for r in rows],
    }


class InboundParams(Schema):
    status: InboundStatus | None = None
    open: bool = Field(
        False, description="Only shipments still expected (ordered, in transit, partly received, on hold)."
    )
    warehouse_id: int | None = Field(None, ge=1, le=MAX_ID)
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


@router.get("/inbound", response=responses(200, InboundPage), url_name="catalog_inbound_list")
def inbound_list(request: HttpRequest, params: Query[InboundParams]) -> dict[str, Any]:
    """Inbound shipments (purchase orders, advance ship notices) by expected date."""
    _reader(request)
    page = selectors.inbound_list(
        status=params.status.value if params.status else "",
        open_only=params.open,
        warehouse_id=params.warehouse_id,
        offset=params.offset,
        limit=params.limit,
    )
    next_url, previous_url = page_links(request, offset=params.offset, limit=params.limit, count=page.total)
    return {
        "count": page.total,
        "next": next_url,
        "previous": previous_url,
        "results": [
            InboundSummaryOut(
                id=s.pk,
                reference=s.reference,
                supplier=s.supplier,
                warehouse=s.warehouse.code,
                status=InboundStatus(s.status),
                expected_date=s.expected_date,
                original_expected_date=s.original_expected_date,
                line_count=s.line_count,  # type: ignore[attr-defined]
            )
            for s in page.shipments
        ],
    }


@router.get(
    "/inbound/{int:inbound_id}", response=responses(200, InboundOut), url_name="catalog_inbound_detail"
)
def inbound_detail(request: HttpRequest, inbound_id: int = InboundId) -> InboundOut:
    _reader(request)
    return InboundOut.build(selectors.inbound_get(inbound_id=inbound_id))


@router.post("/inbound", response=responses(201, InboundOut), url_name="catalog_inbound_create")
def inbound_create(request: HttpRequest, payload: InboundCreateIn) -> Status[InboundOut]:
    """Record a restock on its way; open ones count as incoming stock and give restock dates."""
    user = _writer(request)
    inbound = services.inbound_create(
        reference=payload.reference,
        warehouse_id=payload.warehouse_id,
        supplier=payload.supplier,
        supplier_reference=payload.supplier_reference,
        expected_date=payload.expected_date,
        status=payload.status.value,
        carrier_code=payload.carrier_code,
        tracking_number=payload.tracking_number,
        lines=[
            services.InboundLineInput(line.product_id, line.quantity, line.expected_date)
            for line in payload.lines
        ],
        by=user,
    )
    return Status(201, InboundOut.build(selectors.inbound_get(inbound_id=inbound.pk)))


@router.post(
    "/inbound/{int:inbound_id}/receive",
    response=responses(200, InboundOut),
    url_name="catalog_inbound_receive",
)
def inbound_receive(request: HttpRequest, payload: ReceiveIn, inbound_id: int = InboundId) -> InboundOut:
    """Book goods in: per line, or everything that remains."""
    user = _writer(request)
    quantities = None if payload.lines is None else {line.line_id: line.quantity for line in payload.lines}
    services.inbound_receive(inbound_id=inbound_id, quantities=quantities, note=payload.note, by=user)
    return InboundOut.build(selectors.inbound_get(inbound_id=inbound_id))
