"""The ``orders`` importer: ``frontline import orders FILE`` (CSV or XLSX).

One row per order line; the rows of one order share its ``order_number`` (they need not be
adjacent). The order's own columns (customer, placed_at, channel, currency, status, totals,
address...) are read from its first row; a later row of the same order that gives a different
value is an error. Each order is created through ``services.order_create`` (totals computed
from the lines, history, audit row, timeline entry), all in one transaction: every order or
none. An order number that already exists is left as it is (``unchanged``), so importing the
same file twice creates nothing the second time.

The customer is ``customer_id``, or else the active customer with ``customer_email`` among
their emails (the one whose primary email it is first): import customers first.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from frontline.audit import services as audit
from frontline.catalog.models import Product
from frontline.core.errors import DomainError, FieldErrors
from frontline.core.importing import (
    CREATE,
    UNCHANGED,
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
from frontline.customers.choices import ContactKind, CustomerStatus
from frontline.customers.models import ContactPoint, Customer
from frontline.customers.normalize import clean_contact

from . import services
from .choices import OrderChannel
from .models import Order
from .services import CREATABLE_STATUSES, NUMBER_PATTERN

LOOKUP_CHUNK = 2000

#: Columns that describe the order (read from its first row), and the lines' columns.
ORDER_COLUMNS = (
    "customer_id",
    "customer_email",
    "placed_at",
    "channel",
    "currency",
    "status",
    "email",
    "phone",
    "shipping_total",
    "tax_total",
    "address_line1",
    "postal_code",
    "city",
    "country",
    "promised_delivery_date",
    "external_ref",
)


@dataclass
class _LineRow:
    line: int
    number: str
    order_values: dict[str, str]
    sku: str
    name: str
    quantity: int
    unit_price: Decimal | None


@dataclass
class OrderItem(ImportItem):
    number: str = ""
    rows: list[_LineRow] = field(default_factory=list)
    data: services.OrderInput | None = None


def _decimal(value: str) -> Decimal | None:
    try:
        amount = Decimal(value.replace(",", ".") if value.count(",") == 1 and "." not in value else value)
    except InvalidOperation:
        return None
    return amount if amount.is_finite() else None


def _when(value: str) -> datetime | None:
    parsed = parse_datetime(value)
    if parsed is None:
        day = parse_date(value)
        if day is None:
            return None
        parsed = datetime(day.year, day.month, day.day, 12)
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


def _chunks(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), LOOKUP_CHUNK):
        yield values[start : start + LOOKUP_CHUNK]


class OrderImporter(Importer):
    kind = "orders"
    description = "Orders from a shop or ERP export: one row per order line, grouped by order_number."
    permission = "orders.import_order"
    columns = (
        Column("order_number", required=True, help="Unique; rows of one order share it."),
        Column("sku", required=True, help="The product's SKU."),
        Column("quantity", required=True),
        Column("name", help="Required when the SKU is not in the catalog."),
        Column("unit_price", help="Defaults to the product's price."),
        Column("customer_id"),
        Column("customer_email", help="Finds the customer when customer_id is empty."),
        Column("placed_at", help="ISO date or date-time; default now."),
        Column("channel", help="web, marketplace, phone, b2b or edi."),
        Column("currency"),
        Column("status", help="pending or confirmed."),
        Column("email", help="As given at checkout."),
        Column("phone", help="As given at checkout."),
        Column("shipping_total"),
        Column("tax_total"),
        Column("address_line1"),
        Column("postal_code"),
        Column("city"),
        Column("country"),
        Column("promised_delivery_date"),
        Column("external_ref"),
    )

    # rows ------------------------------------------------------------------------------------
    def clean_row(self, row: Row) -> _LineRow | list[RowError]:  # type: ignore[override]
        errors: list[RowError] = []
        number = row.get("order_number")
        if not number:
            errors.append(RowError(row.line, "order_number", "is required"))
        elif not NUMBER_PATTERN.match(number):
            errors.append(
                RowError(
                    row.line,
                    "order_number",
                    f"'{number}' is not an order number (letters, digits, # . / - _)",
                )
            )
        sku = row.get("sku")
        if not sku:
            errors.append(RowError(row.line, "sku", "is required"))
        elif len(sku) > 64:
            errors.append(RowError(row.line, "sku", "is longer than 64 characters"))
        raw_quantity = row.get("quantity")
        quantity = 0
        if not raw_quantity.isdigit() or not 1 <= int(raw_quantity) <= services.MAX_QUANTITY:
            errors.append(
                RowError(row.line, "quantity", f"'{raw_quantity}' is not a whole number of at least 1")
            )
        else:
            quantity = int(raw_quantity)
        price = None
        if row.get("unit_price"):
            price = _decimal(row.get("unit_price"))
            if price is None or price < 0:
                errors.append(RowError(row.line, "unit_price", f"'{row.get('unit_price')}' is not an amount"))
        values = {name: row.get(name) for name in ORDER_COLUMNS}
        for name in ("shipping_total", "tax_total"):
            if values[name] and (_decimal(values[name]) is None or (_decimal(values[name]) or 0) < 0):
                errors.append(RowError(row.line, name, f"'{values[name]}' is not an amount"))
        if values["customer_id"] and not values["customer_id"].isdigit():
            errors.append(
                RowError(row.line, "customer_id", f"'{values['customer_id']}' is not a customer id")
            )
        if not values["customer_id"] and not values["customer_email"]:
            errors.append(RowError(row.line, "customer_email", "is required when customer_id is empty"))
        for name in ("customer_email", "email"):
            if values[name]:
                try:
                    values[name] = clean_contact(ContactKind.EMAIL, values[name])[1]
                except ValidationError:
                    errors.append(RowError(row.line, name, f"'{values[name]}' is not a valid email address"))
        if values["placed_at"] and _when(values["placed_at"]) is None:
            errors.append(
                RowError(row.line, "placed_at", f"'{values['placed_at']}' is not a date (YYYY-MM-DD)")
            )
        if values["promised_delivery_date"] and parse_date(values["promised_delivery_date"]) is None:
            errors.append(
                RowError(
                    row.line,
                    "promised_delivery_date",
                    f"'{values['promised_delivery_date']}' is not a date (YYYY-MM-DD)",
                )
            )
        if values["channel"] and values["channel"].lower() not in OrderChannel.values:
            errors.append(
                RowError(
                    row.line,
                    "channel",
                    f"'{values['channel']}' is not one of {', '.join(OrderChannel.values)}",
                )
            )
        if values["status"] and values["status"].lower() not in CREATABLE_STATUSES:
            errors.append(
                RowError(row.line, "status", f"'{values['status']}' is not one of pending, confirmed")
            )
        if errors:
            return errors
        return _LineRow(row.line, number, values, sku, row.get("name"), quantity, price)

    def validate(self, rows: Sequence[Row]) -> tuple[list[ImportItem], list[RowError]]:
        errors: list[RowError] = []
        groups: dict[str, list[_LineRow]] = {}
        bad_numbers: set[str] = set()
        for row in rows:
            result = self.clean_row(row)
            if isinstance(result, list):
                errors.extend(result)
                number = row.get("order_number")
                if number:
                    bad_numbers.add(number)
                continue
            group = groups.setdefault(result.number, [])
            if group:
                first = group[0]
                for name in ORDER_COLUMNS:
                    mine, theirs = result.order_values[name], first.order_values[name]
                    if mine and theirs and mine != theirs:
                        errors.append(
                            RowError(
                                result.line,
                                name,
                                f"'{mine}' differs from line {first.line} ('{theirs}') of the same order",
                            )
                        )
                        bad_numbers.add(result.number)
            group.append(result)
        items, unresolved = self._resolve_groups({n: g for n, g in groups.items() if n not in bad_numbers})
        errors.extend(unresolved)
        return items, sorted(errors)

    def _resolve_groups(self, groups: dict[str, list[_LineRow]]) -> tuple[list[ImportItem], list[RowError]]:
        errors: list[RowError] = []
        numbers = list(groups)
        existing: set[str] = set()
        for chunk in _chunks(numbers):
            existing.update(Order.objects.filter(number__in=chunk).values_list("number", flat=True))
        emails = sorted(
            {
                g[0].order_values["customer_email"]
                for g in groups.values()
                if not g[0].order_values["customer_id"]
            }
            - {""}
        )
        by_email: dict[str, int] = {}
        for chunk in _chunks(emails):
            for normalized, found_id, _primary in (
                ContactPoint.objects.filter(
                    kind=ContactKind.EMAIL, normalized__in=chunk, customer__status=CustomerStatus.ACTIVE
                )
                .order_by("normalized", "-is_primary", "customer_id")
                .values_list("normalized", "customer_id", "is_primary")
            ):
                by_email.setdefault(normalized, found_id)
        wanted_ids = sorted(
            {
                int(g[0].order_values["customer_id"])
                for g in groups.values()
                if g[0].order_values["customer_id"]
            }
        )
        known_ids: set[int] = set()
        for chunk in _chunks(wanted_ids):
            known_ids.update(
                Customer.objects.filter(pk__in=chunk)
                .exclude(status=CustomerStatus.MERGED)
                .values_list("pk", flat=True)
            )
        skus = sorted({line.sku for group in groups.values() for line in group})
        known_skus: set[str] = set()
        for chunk in _chunks(skus):
            known_skus.update(Product.objects.filter(sku__in=chunk).values_list("sku", flat=True))

        items: list[ImportItem] = []
        for number, group in groups.items():
            first = group[0]
            item = OrderItem(line=first.line, number=number, rows=group)
            if number in existing:
                item.action = UNCHANGED
                items.append(item)
                continue
            values = first.order_values
            bad = False
            customer_id: int | None
            if values["customer_id"]:
                customer_id = int(values["customer_id"])
                if customer_id not in known_ids:
                    errors.append(
                        RowError(first.line, "customer_id", f"no active customer has id {customer_id}")
                    )
                    bad = True
            else:
                customer_id = by_email.get(values["customer_email"])
                if customer_id is None:
                    errors.append(
                        RowError(
                            first.line,
                            "customer_email",
                            f"no customer has the email {values['customer_email']}; import the customers first",
                        )
                    )
                    bad = True
            for line in group:
                if line.sku not in known_skus and not line.name:
                    errors.append(
                        RowError(line.line, "name", f"is required: SKU {line.sku} is not in the catalog")
                    )
                    bad = True
            if bad:
                continue
            assert customer_id is not None
            item.data = self._order_input(number, customer_id, group)
            item.action = CREATE
            items.append(item)
        return items, errors

    def _order_input(self, number: str, customer_id: int, group: list[_LineRow]) -> services.OrderInput:
        values = group[0].order_values
        address = {
            key: values[column]
            for key, column in (
                ("line1", "address_line1"),
                ("postal_code", "postal_code"),
                ("city", "city"),
                ("country", "country"),
            )
            if values[column]
        }
        promised = parse_date(values["promised_delivery_date"]) if values["promised_delivery_date"] else None
        data = services.OrderInput(
            number=number,
            customer_id=customer_id,
            lines=[
                services.OrderLineInput(
                    sku=line.sku, name=line.name, quantity=line.quantity, unit_price=line.unit_price
                )
                for line in group
            ],
            placed_at=_when(values["placed_at"]) if values["placed_at"] else None,
            channel=(values["channel"] or OrderChannel.WEB).lower(),
            status=(values["status"] or "confirmed").lower(),
            currency=(values["currency"] or "EUR").upper(),
            shipping_total=_decimal(values["shipping_total"]) or Decimal("0")
            if values["shipping_total"]
            else Decimal("0"),
            tax_total=_decimal(values["tax_total"]) or Decimal("0") if values["tax_total"] else Decimal("0"),
            email=values["email"],
            phone=values["phone"],
            shipping_address=address,
            promised_delivery_date=promised if isinstance(promised, date) else None,
            external_ref=values["external_ref"],
        )
        return data

    # write -----------------------------------------------------------------------------------
    def apply(
        self, items: Sequence[ImportItem], *, by: Any | None, progress: Progress, report: ImportReport
    ) -> ApplySummary:
        summary = ApplySummary()
        for item in items:
            assert isinstance(item, OrderItem)
            if item.action != CREATE or item.data is None:
                summary.unchanged += 1
                progress(1)
                continue
            try:
                services.order_create(by=by, data=item.data)
            except DomainError as error:
                raise ApplyError(self._row_error(item, error)) from None
            summary.created += 1
            progress(1)
        audit.record(
            actor=by,
            verb="order.imported",
            data={"source": report.source, "created": summary.created, "unchanged": summary.unchanged},
        )
        return summary

    def _row_error(self, item: OrderItem, error: DomainError) -> RowError:
        messages = error.errors if isinstance(error, FieldErrors) else {error.field or "": [error.message]}
        name, texts = next(iter(messages.items()))
        line = item.line
        column = name.split(".")[-1] if name else ""
        if name.startswith("lines[") and "]" in name:
            index = int(name[6 : name.index("]")])
            if index < len(item.rows):
                line = item.rows[index].line
        column = {"customer_id": "customer_id", "number": "order_number", "product_id": "sku"}.get(
            column, column
        )
        return RowError(line, column, texts[0])
