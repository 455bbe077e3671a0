"""``frontline import orders``: given a file, when imported, then exactly these orders exist.

``fixtures/orders_good.csv``: 3 orders in 5 rows (lines of one order not adjacent, customers by
email in any case, an item not in the catalog with its name). ``fixtures/orders_bad.csv``: 11
rows, one valid, the others wrong in 10 ways. The XLSX file is generated from the good CSV.
"""

from __future__ import annotations

import csv
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import Workbook

from frontline.audit.models import AuditEntry
from frontline.orders.choices import OrderChannel, OrderStatus
from frontline.orders.models import Order, OrderLine

from .factories import CustomerFactory, product

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent / "fixtures"
GOOD = FIXTURES / "orders_good.csv"
BAD = FIXTURES / "orders_bad.csv"

BAD_ROWS = [
    "     2  quantity        '0' is not a whole number of at least 1",
    "     3  placed_at       '28/11/2026' is not a date (YYYY-MM-DD)",
    "     4  customer_email  no customer has the email nobody@example.com; import the customers first",
    "     5  channel         'fax' is not one of web, marketplace, phone, b2b, edi",
    "     6  status          'shipped' is not one of pending, confirmed",
    "     7  name            is required: SKU UNKNOWN-1 is not in the catalog",
    "     8  unit_price      'ten' is not an amount",
    "    10  customer_email  'omar@example.com' differs from line 9 ('justine@example.com') of the same order",
    "    11  order_number    is required",
]


@pytest.fixture
def catalog():
    product("TG15-16-512", "Titan G15 gaming laptop", "1499.00")
    product("AS-X2-BLK", "AuraSound X2 wireless headphones", "129.00")
    product("PS-NOVA12-CASE", "PowerSnap charging case", "29.90")


@pytest.fixture
def customers():
    return (
        CustomerFactory(first_name="Justine", last_name="Harrington", email="justine@example.com"),
        CustomerFactory(
            first_name="Jonas",
            last_name="Weiss",
            email="j.weiss@sparepartspro.example",
            org="SparePartsPro GmbH",
        ),
        CustomerFactory(first_name="Omar", last_name="Haddad", email="omar@example.com"),
    )


def run(*args: str) -> str:
    out = StringIO()
    call_command("import", *args, "--no-progress", stdout=out, stderr=StringIO(), no_color=True)
    return out.getvalue()


def test_import_creates_the_orders_with_their_lines(catalog, customers):
    output = run("orders", str(GOOD))
    assert "3 created, 0 updated, 0 unchanged" in output
    justine, jonas, _omar = customers
    orders = {o.number: o for o in Order.objects.all()}
    assert set(orders) == {"10023", "10024", "SP-5001"}
    assert (orders["10023"].customer, orders["10023"].status, orders["10023"].total) == (
        justine,
        OrderStatus.CONFIRMED,
        Decimal("1499.00"),
    )
    lines = [(ln.sku, ln.quantity, ln.unit_price) for ln in orders["10024"].lines.order_by("pk")]
    assert lines == [("AS-X2-BLK", 2, Decimal("129.00")), ("PS-NOVA12-CASE", 1, Decimal("29.90"))]
    assert orders["10024"].total == Decimal("292.80")  # 258.00 + 29.90 + 4.90 shipping
    b2b = orders["SP-5001"]
    assert (b2b.customer, b2b.channel, b2b.organisation_id, b2b.shipping_postal_code) == (
        jonas,
        OrderChannel.B2B,
        jonas.organisation_id,
        "70173",
    )
    assert b2b.total == Decimal("1269.00")  # 40 x 18.50 + 120 x 4.20 + 25.00
    assert AuditEntry.objects.filter(verb="order.imported").count() == 1
    assert AuditEntry.objects.filter(verb="order.created").count() == 3


def test_import_is_idempotent_on_the_order_number(catalog, customers):
    run("orders", str(GOOD))
    output = run("orders", str(GOOD))
    assert "0 created, 0 updated, 3 unchanged" in output
    assert Order.objects.count() == 3 and OrderLine.objects.count() == 5


def test_dry_run_writes_nothing(catalog, customers):
    output = run("orders", str(GOOD), "--dry-run")
    assert "nothing was written" in output
    assert not Order.objects.exists()


def test_xlsx(catalog, customers, tmp_path):
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    with GOOD.open(newline="") as handle:
        for row in csv.reader(handle):
            sheet.append(row)
    path = tmp_path / "orders.xlsx"
    book.save(path)
    assert "3 created" in run("orders", str(path))
    assert Order.objects.count() == 3


def test_bad_rows_are_listed_and_nothing_is_written(catalog, customers):
    out = StringIO()
    with pytest.raises(CommandError):
        call_command(
            "import", "orders", str(BAD), "--no-progress", stdout=out, stderr=StringIO(), no_color=True
        )
    text = out.getvalue()
    for expected in BAD_ROWS:
        assert expected in text, expected
    assert not Order.objects.exists()
    assert not AuditEntry.objects.filter(verb__startswith="order.").exists()


def test_skip_invalid_imports_the_valid_orders(catalog, customers):
    run_output = StringIO()
    call_command(
        "import",
        "orders",
        str(BAD),
        "--no-progress",
        "--skip-invalid",
        stdout=run_output,
        stderr=StringIO(),
        no_color=True,
    )
    assert sorted(Order.objects.values_list("number", flat=True)) == ["20010"]
