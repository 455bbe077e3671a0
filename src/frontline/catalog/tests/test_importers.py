"""``frontline import products|stock`` and the stock discrepancy report, from files we wrote."""

from __future__ import annotations

from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from frontline.audit.models import AuditEntry
from frontline.catalog.choices import MovementKind, StockSource
from frontline.catalog.importers import StockImporter
from frontline.catalog.models import Product, StockLevel, StockMovement
from frontline.core import importing, search

from .factories import make_product, make_warehouse, stock

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent / "fixtures"


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO(), no_color=True)
    return out.getvalue()


def run_failing(*args: str) -> tuple[str, CommandError]:
    out = StringIO()
    with pytest.raises(CommandError) as exc:
        call_command(*args, stdout=out, stderr=StringIO(), no_color=True)
    return out.getvalue(), exc.value


class TestProducts:
    def test_good_file_creates_every_product(self):
        output = run("import", "products", str(FIXTURES / "products_good.csv"))
        assert (
            output.splitlines()[0]
            == "Imported products from products_good.csv: 4 created, 0 updated, 0 unchanged."
        )
        headphones = Product.objects.get(sku="HP-100")
        assert (headphones.name, headphones.price, headphones.low_stock_threshold, headphones.barcode) == (
            "Wireless headphones ANC",
            Decimal("89.90"),
            10,
            "4006381333931",
        )
        assert Product.objects.get(sku="ACC-USB-C").allow_backorder is True
        assert Product.objects.get(sku="OLD-MP3").is_discontinued
        assert search.search_ids("product", "charging cable") == [Product.objects.get(sku="ACC-USB-C").pk]

    def test_reimport_updates_only_what_differs(self):
        make_product(
            "HP-100",
            name="Old name",
            price="89.90",
            low_stock_threshold=10,
            barcode="4006381333931",
            category="Audio",
            supplier_lead_time_days=21,
        )
        output = run("import", "products", str(FIXTURES / "products_good.csv"))
        assert (
            output.splitlines()[0]
            == "Imported products from products_good.csv: 3 created, 1 updated, 0 unchanged."
        )
        assert Product.objects.get(sku="HP-100").name == "Wireless headphones ANC"
        output = run("import", "products", str(FIXTURES / "products_good.csv"))
        assert (
            output.splitlines()[0]
            == "Imported products from products_good.csv: 0 created, 0 updated, 4 unchanged."
        )

    def test_bad_rows_are_reported_per_row_and_nothing_is_written(self):
        output, error = run_failing("import", "products", str(FIXTURES / "products_bad.csv"))
        assert error.returncode == 1
        assert not Product.objects.exists()
        for line, column in [
            ("3", "sku"),
            ("4", "name"),
            ("5", "price"),
            ("6", "low_stock_threshold"),
            ("7", "allow_backorder"),
            ("8", "barcode"),
            ("9", "sku"),
        ]:
            assert any(row.split()[:2] == [line, column] for row in output.splitlines()), (
                line,
                column,
                output,
            )


class TestStock:
    @pytest.fixture
    def catalog(self):
        ber, rtm = make_warehouse("BER"), make_warehouse("RTM")
        hp = make_product("HP-100")
        laptop = make_product("GL-15")
        cable = make_product("ACC-USB-C")
        stock(hp, ber, 10)
        stock(hp, rtm, 0)
        stock(laptop, ber, 3)
        return ber, rtm, hp, laptop, cable

    def test_discrepancy_report_lists_every_difference(self, catalog):
        importer = StockImporter()
        table = importing.read_table(FIXTURES / "stock_sheet.csv")
        items, errors = importer.validate(table.rows)
        assert errors == []
        assert [
            (d.sku, d.warehouse, d.frontline, d.sheet, d.difference) for d in importer.discrepancies(items)
        ] == [
            ("HP-100", "BER", 10, 12, 2),
            ("ACC-USB-C", "RTM", None, 40, 40),
        ]

    def test_discrepancy_command_prints_and_writes_nothing(self, catalog):
        before = StockMovement.objects.count()
        output, error = run_failing("stock_discrepancies", str(FIXTURES / "stock_sheet.xlsx"))
        assert error.returncode == 3
        lines = output.splitlines()
        assert lines[0] == "2 discrepancies between stock_sheet.xlsx and Frontline:"
        assert lines[3].split() == ["2", "HP-100", "BER", "10", "12", "+2", "0"]
        assert lines[4].split() == ["5", "ACC-USB-C", "RTM", "-", "40", "+40", "0"]
        assert StockMovement.objects.count() == before

    def test_matching_sheet_has_no_discrepancies(self, catalog, tmp_path):
        sheet = tmp_path / "ok.csv"
        sheet.write_text("sku,warehouse,on_hand\nHP-100,BER,10\nGL-15,BER,3\n", encoding="utf-8")
        assert (
            run("stock_discrepancies", str(sheet)).strip()
            == "No discrepancies: every figure in ok.csv matches Frontline."
        )

    @pytest.mark.parametrize("name", ["stock_sheet.csv", "stock_sheet.xlsx"])
    def test_import_sets_figures_through_counts(self, catalog, name):
        ber, rtm, hp, _laptop, cable = catalog
        output = run("import", "stock", str(FIXTURES / name))
        assert output.splitlines()[0] == f"Imported stock from {name}: 1 created, 1 updated, 2 unchanged."
        level = StockLevel.objects.get(product=hp, warehouse=ber)
        assert (level.on_hand, level.source, level.source_synced_at.isoformat()) == (
            12,
            StockSource.ERP,
            "2026-03-01T08:00:00+00:00",
        )
        assert StockLevel.objects.get(product=cable, warehouse=rtm).on_hand == 40
        assert StockMovement.objects.filter(kind=MovementKind.COUNT, reference=name).count() == 4
        entry = AuditEntry.objects.get(verb="stock.imported")
        assert entry.data["discrepancy_count"] == 2

    def test_dry_run_writes_nothing(self, catalog):
        before = (StockMovement.objects.count(), sorted(StockLevel.objects.values_list("pk", "on_hand")))
        output = run("import", "stock", str(FIXTURES / "stock_sheet.csv"), "--dry-run")
        assert output.splitlines()[0].startswith("Dry run of the stock import")
        # The discrepancy report comes with the import, before anything would be applied.
        assert "2 discrepancies between stock_sheet.csv and Frontline:" in output
        assert (
            StockMovement.objects.count(),
            sorted(StockLevel.objects.values_list("pk", "on_hand")),
        ) == before

    def test_bad_rows_reported_and_nothing_half_written(self, catalog):
        before = (StockMovement.objects.count(), sorted(StockLevel.objects.values_list("pk", "on_hand")))
        output, error = run_failing("import", "stock", str(FIXTURES / "stock_bad.csv"))
        assert error.returncode == 1
        rows = [line.split()[:2] for line in output.splitlines()]
        for expected in (
            ["3", "sku"],
            ["4", "warehouse"],
            ["5", "on_hand"],
            ["6", "on_hand"],
            ["7", "as_of"],
            ["8", "source"],
            ["9", "sku"],
        ):
            assert expected in rows, (expected, output)
        assert (
            StockMovement.objects.count(),
            sorted(StockLevel.objects.values_list("pk", "on_hand")),
        ) == before
