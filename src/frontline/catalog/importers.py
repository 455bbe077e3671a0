"""``frontline import products FILE`` and ``frontline import stock FILE`` (CSV or XLSX).

Products: one row per SKU; a known SKU is updated (non-empty cells that differ), a new one is
created (``name`` required). Writes go through ``services.product_create_many`` /
``product_update`` / ``product_discontinue``.

Stock: one row per SKU and warehouse code with the on-hand figure the sheet holds. Before
anything is written the rows are compared with Frontline's figures: the **discrepancy report**
lists every SKU/warehouse whose figure differs (``frontline stock_discrepancies FILE`` prints it
without importing; ``StockImporter.discrepancies`` gives it to any caller). Applying sets each
figure through ``services.stock_count`` (a ``count`` movement in the ledger, with the sheet's
source and date), so the ledger explains every change. All rows or none, like every import.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from frontline.accounts import roles
from frontline.audit import services as audit
from frontline.core.errors import DomainError, FieldErrors
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
from .choices import StockSource
from .models import Product, StockLevel, Warehouse

TRUE_WORDS = frozenset({"true", "yes", "1", "y"})
FALSE_WORDS = frozenset({"false", "no", "0", "n"})
CHUNK = 2000


def _chunks(values: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _int(row: Row, column: str, errors: list[RowError], *, high: int) -> int | None:
    text = row.get(column)
    if not text:
        return None
    try:
        value = int(text)
    except ValueError:
        errors.append(RowError(row.line, column, f"{text!r} is not a whole number"))
        return None
    if not 0 <= value <= high:
        errors.append(RowError(row.line, column, f"{value} is not between 0 and {high:,}"))
        return None
    return value


def _bool(row: Row, column: str, errors: list[RowError]) -> bool | None:
    text = row.get(column).lower()
    if not text:
        return None
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    errors.append(RowError(row.line, column, f"{text!r} is not true/false, yes/no or 1/0"))
    return None


# --- products ---------------------------------------------------------------------------------


@dataclass
class ProductItem(ImportItem):
    sku: str = ""
    values: dict[str, Any] = field(default_factory=dict)
    discontinued: bool | None = None
    product_id: int | None = None
    changes: dict[str, Any] = field(default_factory=dict)
    discontinue: bool = False


class ProductImporter(Importer):
    kind = "products"
    description = "Products: created, or updated when the SKU is known."
    permission = roles.STOCK_IMPORT
    columns = (
        Column("sku", required=True),
        Column("name", help="required for new products"),
        Column("description"),
        Column("category"),
        Column("barcode", help="GTIN/EAN, 6 to 14 digits"),
        Column("price", help="19.99"),
        Column("currency", help="EUR, USD..."),
        Column("low_stock_threshold"),
        Column("allow_backorder", help="true/false"),
        Column("supplier_lead_time_days"),
        Column("discontinued", help="true marks the product discontinued"),
    )

    def clean_row(self, row: Row) -> ProductItem | list[RowError]:
        errors: list[RowError] = []
        values: dict[str, Any] = {"sku": row.get("sku")}
        for column in ("name", "description", "category", "barcode", "currency"):
            if row.get(column):
                values[column] = row.get(column)
        if row.get("price"):
            try:
                values["price"] = Decimal(row.get("price").replace(",", "."))
            except InvalidOperation:
                errors.append(
                    RowError(row.line, "price", f"{row.get('price')!r} is not a price such as 19.99")
                )
        for column, high in (("low_stock_threshold", 1_000_000), ("supplier_lead_time_days", 365)):
            number = _int(row, column, errors, high=high)
            if number is not None:
                values[column] = number
        backorder = _bool(row, "allow_backorder", errors)
        if backorder is not None:
            values["allow_backorder"] = backorder
        discontinued = _bool(row, "discontinued", errors)
        try:
            clean = services._clean_product_values(values)
        except FieldErrors as exc:
            for column, messages in exc.errors.items():
                errors.extend(RowError(row.line, column, message.rstrip(".")) for message in messages)
            clean = {}
        if errors:
            return errors
        sku = clean.pop("sku")
        return ProductItem(line=row.line, sku=sku, values=clean, discontinued=discontinued)

    def item_keys(self, item: ImportItem) -> Iterable[tuple[str, str]]:
        assert isinstance(item, ProductItem)
        return [("sku", item.sku)]

    def resolve(self, items: list[ImportItem]) -> tuple[list[ImportItem], list[RowError]]:
        products: list[ProductItem] = [i for i in items if isinstance(i, ProductItem)]
        existing: dict[str, Product] = {}
        for chunk in _chunks([i.sku for i in products]):
            existing.update({p.sku: p for p in Product.objects.filter(sku__in=chunk)})
        kept: list[ImportItem] = []
        errors: list[RowError] = []
        for item in products:
            product = existing.get(item.sku)
            if product is None:
                if "name" not in item.values:
                    errors.append(RowError(item.line, "name", "is required for a new product"))
                    continue
                item.action = CREATE
                item.discontinue = bool(item.discontinued)
            else:
                item.product_id = product.pk
                before = {name: getattr(product, name) for name in item.values}
                item.changes = {k: item.values[k] for k in audit.changes(before, item.values)}
                item.discontinue = bool(item.discontinued) and not product.is_discontinued
                item.action = UPDATE if item.changes or item.discontinue else UNCHANGED
            kept.append(item)
        return kept, errors

    def apply(
        self, items: Sequence[ImportItem], *, by: Any | None, progress: Progress, report: ImportReport
    ) -> ApplySummary:
        summary = ApplySummary()
        new = [i for i in items if isinstance(i, ProductItem) and i.action == CREATE]
        if new:
            created = services.product_create_many(
                items=[services.ProductInput(sku=i.sku, **i.values) for i in new], by=by
            )
            for item, product in zip(new, created, strict=True):
                item.product_id = product.pk
            summary.created = len(new)
            progress(len(new))
        for entry in items:
            assert isinstance(entry, ProductItem)
            try:
                if entry.action == UPDATE and entry.changes:
                    assert entry.product_id is not None
                    services.product_update(product_id=entry.product_id, changes=entry.changes, by=by)
                if entry.discontinue:
                    assert entry.product_id is not None
                    services.product_discontinue(product_id=entry.product_id, by=by)
            except DomainError as exc:
                raise ApplyError(RowError(entry.line, exc.field or "", exc.message)) from exc
            if entry.action == UPDATE:
                summary.updated += 1
                progress(1)
            elif entry.action == UNCHANGED:
                summary.unchanged += 1
                progress(1)
        audit.record(
            actor=by,
            verb="product.imported",
            data={"source": report.source, "created": summary.created, "updated": summary.updated},
        )
        return summary


# --- stock ------------------------------------------------------------------------------------


@dataclass
class StockItem(ImportItem):
    sku: str = ""
    warehouse_code: str = ""
    on_hand: int = 0
    source: str = StockSource.IMPORT
    as_of: datetime | None = None
    note: str = ""
    product_id: int | None = None
    warehouse_id: int | None = None
    #: Frontline's on-hand figure before the import (``None``: never stocked there).
    current: int | None = None
    reserved: int = 0


@dataclass(frozen=True)
class Discrepancy:
    line: int
    sku: str
    warehouse: str
    frontline: int | None
    sheet: int
    reserved: int

    @property
    def difference(self) -> int:
        return self.sheet - (self.frontline or 0)


def discrepancy_table(rows: Sequence[Discrepancy], *, source: str) -> str:
    """The discrepancy report as plain text: one line per SKU/warehouse that differs."""
    if not rows:
        return f"No discrepancies: every figure in {source} matches Frontline."
    lines = [
        f"{len(rows)} discrepanc{'y' if len(rows) == 1 else 'ies'} between {source} and Frontline:",
        "",
    ]
    sku_w = max(len("sku"), *(len(r.sku) for r in rows))
    wh_w = max(len("warehouse"), *(len(r.warehouse) for r in rows))
    lines.append(
        f"  {'line':>5}  {'sku'.ljust(sku_w)}  {'warehouse'.ljust(wh_w)}  {'frontline':>9}  {'sheet':>9}  "
        f"{'difference':>10}  {'reserved':>8}"
    )
    for r in rows:
        current = "-" if r.frontline is None else str(r.frontline)
        lines.append(
            f"  {r.line:>5}  {r.sku.ljust(sku_w)}  {r.warehouse.ljust(wh_w)}  {current:>9}  {r.sheet:>9}  "
            f"{r.difference:>+10}  {r.reserved:>8}"
        )
    short = [r for r in rows if r.sheet < r.reserved]
    if short:
        lines += ["", f"  {len(short)} row(s) would leave less on hand than is reserved for orders."]
    return "\n".join(lines)


def _as_of(text: str) -> datetime | None:
    moment = parse_datetime(text)
    if moment is None:
        day = parse_date(text)
        if day is None:
            raise ValueError(text)
        moment = datetime.combine(day, time(0))
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


class StockImporter(Importer):
    kind = "stock"
    description = "On-hand stock per SKU and warehouse (a count); discrepancies are reported first."
    permission = roles.STOCK_IMPORT
    columns = (
        Column("sku", required=True),
        Column("warehouse", required=True, help="the warehouse code, e.g. BER"),
        Column("on_hand", required=True, help="units on the shelf"),
        Column("as_of", help="when the figure was taken: 2026-03-01 or 2026-03-01 08:00"),
        Column("source", help="import, erp or wms (default import)"),
        Column("note"),
    )

    def clean_row(self, row: Row) -> StockItem | list[RowError]:
        errors: list[RowError] = []
        sku, code = row.get("sku"), row.get("warehouse").upper()
        if not sku:
            errors.append(RowError(row.line, "sku", "is required"))
        if not code:
            errors.append(RowError(row.line, "warehouse", "is required"))
        on_hand = _int(row, "on_hand", errors, high=services.MAX_QUANTITY)
        if on_hand is None and not any(e.column == "on_hand" for e in errors):
            errors.append(RowError(row.line, "on_hand", "is required"))
        source = row.get("source").lower() or StockSource.IMPORT
        if source not in (StockSource.IMPORT, StockSource.ERP, StockSource.WMS):
            errors.append(RowError(row.line, "source", f"{source!r} is not one of import, erp, wms"))
        as_of = None
        if row.get("as_of"):
            try:
                as_of = _as_of(row.get("as_of"))
            except ValueError:
                errors.append(
                    RowError(row.line, "as_of", f"{row.get('as_of')!r} is not a date such as 2026-03-01")
                )
        if as_of is not None and as_of > timezone.now() + timedelta(days=1):
            errors.append(RowError(row.line, "as_of", "is in the future"))
        if len(row.get("note")) > 500:
            errors.append(RowError(row.line, "note", "is longer than 500 characters"))
        if errors:
            return errors
        assert on_hand is not None
        return StockItem(
            line=row.line,
            sku=sku,
            warehouse_code=code,
            on_hand=on_hand,
            source=source,
            as_of=as_of,
            note=row.get("note"),
        )

    def item_keys(self, item: ImportItem) -> Iterable[tuple[str, str]]:
        assert isinstance(item, StockItem)
        return [("sku", f"{item.sku} in {item.warehouse_code}")]

    def resolve(self, items: list[ImportItem]) -> tuple[list[ImportItem], list[RowError]]:
        stock = [i for i in items if isinstance(i, StockItem)]
        warehouses = {w.code: w for w in Warehouse.objects.all()}
        products: dict[str, int] = {}
        for chunk in _chunks(sorted({i.sku for i in stock})):
            products.update(dict(Product.objects.filter(sku__in=chunk).values_list("sku", "pk")))
        levels: dict[tuple[int, int], tuple[int, int]] = {}
        for chunk in _chunks(sorted(set(products.values()))):
            levels.update(
                {
                    (p, w): (on_hand, reserved)
                    for p, w, on_hand, reserved in StockLevel.objects.filter(
                        product_id__in=chunk
                    ).values_list("product_id", "warehouse_id", "on_hand", "reserved")
                }
            )
        kept: list[ImportItem] = []
        errors: list[RowError] = []
        for item in stock:
            product_id = products.get(item.sku)
            warehouse = warehouses.get(item.warehouse_code)
            if product_id is None:
                errors.append(RowError(item.line, "sku", f"no product has the SKU {item.sku!r}"))
            if warehouse is None:
                errors.append(
                    RowError(item.line, "warehouse", f"no warehouse has the code {item.warehouse_code!r}")
                )
            elif not warehouse.is_active:
                errors.append(RowError(item.line, "warehouse", f"{item.warehouse_code} is not active"))
            if product_id is None or warehouse is None or not warehouse.is_active:
                continue
            item.product_id, item.warehouse_id = product_id, warehouse.pk
            current = levels.get((product_id, warehouse.pk))
            item.current = current[0] if current else None
            item.reserved = current[1] if current else 0
            item.action = UNCHANGED if item.current == item.on_hand else UPDATE
            if item.current is None and item.on_hand:
                item.action = CREATE
            kept.append(item)
        return kept, errors

    def review(self, items: Sequence[ImportItem], *, source: str) -> list[str]:
        """The discrepancy report, shown before anything is applied (and on a dry run)."""
        return [discrepancy_table(self.discrepancies(items), source=source)]

    def discrepancies(self, items: Sequence[ImportItem]) -> list[Discrepancy]:
        """Every SKU/warehouse whose figure in the sheet differs from Frontline's."""
        return [
            Discrepancy(i.line, i.sku, i.warehouse_code, i.current, i.on_hand, i.reserved)
            for i in items
            if isinstance(i, StockItem) and (i.current or 0) != i.on_hand
        ]

    def apply(
        self, items: Sequence[ImportItem], *, by: Any | None, progress: Progress, report: ImportReport
    ) -> ApplySummary:
        summary = ApplySummary()
        found = self.discrepancies(items)
        for item in items:
            assert isinstance(item, StockItem) and item.product_id and item.warehouse_id
            try:
                services.stock_count(
                    product_id=item.product_id,
                    warehouse_id=item.warehouse_id,
                    counted=item.on_hand,
                    by=by,
                    note=item.note or f"import {report.source} line {item.line}",
                    reference=report.source[:100],
                    source=item.source,
                    as_of=item.as_of,
                )
            except DomainError as exc:
                raise ApplyError(RowError(item.line, exc.field or "", exc.message)) from exc
            if item.action == CREATE:
                summary.created += 1
            elif item.action == UPDATE:
                summary.updated += 1
            else:
                summary.unchanged += 1
            progress(1)
        audit.record(
            actor=by,
            verb="stock.imported",
            data={
                "source": report.source,
                "rows": len(items),
                "discrepancies": [
                    {"sku": d.sku, "warehouse": d.warehouse, "frontline": d.frontline, "sheet": d.sheet}
                    for d in found[:500]
                ],
                "discrepancy_count": len(found),
            },
        )
        return summary
