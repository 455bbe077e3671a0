"""``frontline stock_discrepancies FILE``: compare a stock sheet with Frontline; write nothing.

Lists every SKU/warehouse whose on-hand figure in the sheet (CSV or XLSX, the columns of
``frontline import stock``) differs from Frontline's, and every row that cannot be read.
Exit status 0 when the sheet matches, 3 when figures differ, 1 when rows are invalid.
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from frontline.catalog.importers import StockImporter, discrepancy_table
from frontline.core import importing


class Command(BaseCommand):
    help = "Compare a stock sheet (CSV/XLSX) with Frontline's figures and list every difference."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("file", help="Path of the .csv, .tsv or .xlsx file.")

    def handle(self, *args: Any, **options: Any) -> None:
        importer = StockImporter()
        try:
            table = importing.read_table(options["file"])
        except importing.ImportFileError as exc:
            raise CommandError(exc.message, returncode=1) from None
        problems = importer.check_columns(table.headers)
        if problems:
            raise CommandError(f"{table.source}: {' '.join(problems)}", returncode=1)
        items, errors = importer.validate(table.rows)
        errors = sorted([*table.errors, *errors])
        self.stdout.write(discrepancy_table(importer.discrepancies(items), source=table.source))
        if errors:
            self.stdout.write("")
            self.stdout.write(f"{len({e.line for e in errors})} row(s) cannot be compared:")
            for error in errors:
                self.stdout.write(f"  line {error.line}, {error.column or '(row)'}: {error.reason}")
            raise CommandError(f"Invalid rows in {table.source}.", returncode=1)
        if importer.discrepancies(items):
            raise CommandError("The sheet differs from Frontline.", returncode=3)
