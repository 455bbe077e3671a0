"""``frontline import shipments``: given a file we wrote, exactly these shipments and events."""

from __future__ import annotations

from datetime import UTC, date, datetime
from io import StringIO
from pathlib import Path

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import Workbook

from frontline.audit.models import AuditEntry
from frontline.core import importing
from frontline.orders.models import Order
from frontline.shipping.models import Shipment, TrackingEvent

from . import factories as f

pytestmark = pytest.mark.django_db
FIXTURES = Path(__file__).parent / "fixtures"
GOOD = FIXTURES / "shipments_good.csv"
BAD = FIXTURES / "shipments_bad.csv"


@pytest.fixture(autouse=True)
def world():
    with time_machine.travel(datetime(2026, 5, 12, 16, tzinfo=UTC), tick=False):
        for code in ("ups", "dhl_express", "dpd"):
            f.carrier(code)
        f.warehouse("BER")
        for number in ("SO-IMP-1", "SO-IMP-2"):
            order = f.order(lines=(("SKU-1", 2), ("SKU-2", 1)))
            Order.objects.filter(pk=order.pk).update(number=number)
        yield


def run(path: Path, **options) -> str:
    out = StringIO()
    call_command("import", "shipments", str(path), stdout=out, stderr=StringIO(), no_color=True, **options)
    return out.getvalue()


def snapshot():
    return sorted(
        Shipment.objects.values_list(
            "carrier__code", "tracking_number", "order__number", "status", "current_edd"
        )
    )


def test_good_file_creates_shipments_with_status_and_is_idempotent():
    report = importing.run_import("shipments", GOOD)
    assert (report.created, report.updated, report.unchanged, report.errors) == (3, 0, 0, [])
    assert snapshot() == [
        ("dhl_express", "4711IMPORT02", "SO-IMP-2", "delivered", date(2026, 5, 13)),
        ("dpd", "01505IMPORT3", None, "label_created", None),
        ("ups", "1ZIMPORT0001", "SO-IMP-1", "in_transit", date(2026, 5, 14)),
    ]
    ups = Shipment.objects.get(tracking_number="1ZIMPORT0001")
    event = TrackingEvent.objects.get(shipment=ups)
    # no zone in the file: the origin warehouse's (Berlin, CEST)
    assert (event.occurred_at, event.source, event.carrier_code) == (
        datetime(2026, 5, 11, 6, tzinfo=UTC),
        "import",
        "DP",
    )
    assert ups.label_created_at == datetime(2026, 5, 10, 7, tzinfo=UTC)
    assert sorted(ups.items.values_list("order_line__sku", "quantity")) == [("SKU-1", 2), ("SKU-2", 1)]

    again = importing.run_import("shipments", GOOD)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert TrackingEvent.objects.count() == 2
    assert AuditEntry.objects.filter(verb="shipment.imported").count() == 2


def test_a_new_status_or_estimate_updates(tmp_path):
    importing.run_import("shipments", GOOD)
    path = tmp_path / "update.csv"
    path.write_text(
        "carrier,tracking_number,order_number,estimated_delivery,status,status_at,status_text\n"
        "ups,1ZIMPORT0001,SO-IMP-1,2026-05-16,delayed,2026-05-12 10:00+02:00,Delay: weather\n"
    )
    report = importing.run_import("shipments", path)
    assert (report.created, report.updated) == (0, 1)
    ups = Shipment.objects.get(tracking_number="1ZIMPORT0001")
    assert (ups.status, ups.current_edd, ups.original_edd) == (
        "delayed",
        date(2026, 5, 16),
        date(2026, 5, 14),
    )
    assert set(ups.exceptions.values_list("kind", flat=True)) == {"delayed", "eta_slip"}


def test_bad_file_reports_every_row_and_writes_nothing():
    output, error = None, None
    with pytest.raises(CommandError) as caught:
        run(BAD)
    error = caught.value
    report = importing.run_import("shipments", BAD)
    lines = {(e.line, e.column) for e in report.errors}
    assert lines == {
        (3, "tracking_number"),
        (4, "carrier"),
        (5, "order_number"),
        (6, "estimated_delivery"),
        (7, "status"),
        (8, "status_at"),
        (9, "items"),
        (10, "tracking_number"),
    }
    assert report.failed and not report.written
    assert Shipment.objects.count() == 0 and TrackingEvent.objects.count() == 0
    assert output is None and "invalid" in str(error)


def test_xlsx_and_dry_run(tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(["carrier", "tracking_number", "order_number", "estimated_delivery"])
    sheet.append(["ups", "1ZXLSX0001", "SO-IMP-1", date(2026, 5, 15)])
    path = tmp_path / "shipments.xlsx"
    book.save(path)
    dry = importing.run_import("shipments", path, dry_run=True)
    assert (dry.created, dry.written) == (1, False) and not Shipment.objects.exists()
    done = importing.run_import("shipments", path)
    assert done.created == 1
    assert Shipment.objects.get().current_edd == date(2026, 5, 15)
