"""Availability rules, restock and ship/delivery dates: exact dates with a frozen clock.

Dates used: 2026-03-02 is a Monday; 2026-03-06 a Friday; 2026-03-07/08 a weekend.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time

import pytest
import time_machine

from frontline.catalog import availability as av
from frontline.catalog.choices import Availability

MON, TUE, WED, THU, FRI, SAT, SUN = (date(2026, 3, d) for d in range(2, 9))
NEXT_MON = date(2026, 3, 9)


@dataclass
class Queue:
    timezone: str = "Europe/Berlin"
    cutoff_time: time = time(14, 0)
    handling_days: int = 0


def berlin(day: date, hour: int, minute: int = 0) -> datetime:
    # March 2026 before the DST switch: Berlin is UTC+1.
    return datetime(day.year, day.month, day.day, hour - 1, minute, tzinfo=UTC)


class TestState:
    @pytest.mark.parametrize(
        ("available", "backorder", "restock", "expected"),
        [
            (6, False, False, Availability.IN_STOCK),
            (5, False, False, Availability.LOW_STOCK),  # at the threshold: low
            (1, False, False, Availability.LOW_STOCK),
            (0, False, False, Availability.OUT_OF_STOCK),
            (-2, False, False, Availability.OUT_OF_STOCK),
            (0, True, False, Availability.BACKORDER),
            (0, False, True, Availability.BACKORDER),
            (-3, True, True, Availability.BACKORDER),
            (3, True, True, Availability.LOW_STOCK),
        ],
    )
    def test_rules(self, available, backorder, restock, expected):
        assert (
            av.availability_state(
                available=available,
                threshold=5,
                discontinued=False,
                allow_backorder=backorder,
                restock_expected=restock,
            )
            == expected
        )

    @pytest.mark.parametrize("available", [100, 1, 0, -1])
    def test_discontinued_wins(self, available):
        state = av.availability_state(
            available=available, threshold=5, discontinued=True, allow_backorder=True, restock_expected=True
        )
        assert state == Availability.DISCONTINUED

    def test_threshold_zero_means_any_stock_is_in_stock(self):
        assert (
            av.availability_state(
                available=1, threshold=0, discontinued=False, allow_backorder=False, restock_expected=False
            )
            == Availability.IN_STOCK
        )


class TestBusinessDays:
    def test_add_business_days_skips_weekends(self):
        assert av.add_business_days(FRI, 0) == FRI
        assert av.add_business_days(FRI, 1) == NEXT_MON
        assert av.add_business_days(THU, 2) == NEXT_MON
        assert av.add_business_days(SAT, 1) == NEXT_MON
        assert av.add_business_days(MON, 5) == NEXT_MON

    def test_negative_days_are_refused(self):
        with pytest.raises(ValueError):
            av.add_business_days(MON, -1)

    def test_next_business_day(self):
        assert av.next_business_day(FRI) == NEXT_MON
        assert av.next_business_day(SUN) == NEXT_MON
        assert av.next_business_day(MON) == TUE
        assert av.business_day_on_or_after(SAT) == NEXT_MON
        assert av.business_day_on_or_after(WED) == WED


class TestShipDate:
    def test_before_cutoff_ships_today_with_zero_handling(self):
        assert av.earliest_ship_date(now=berlin(MON, 13, 59), queue=Queue()) == MON

    def test_at_cutoff_ships_next_business_day(self):
        assert av.earliest_ship_date(now=berlin(MON, 14, 0), queue=Queue()) == TUE

    def test_friday_after_cutoff_ships_monday(self):
        assert av.earliest_ship_date(now=berlin(FRI, 15), queue=Queue()) == NEXT_MON

    def test_weekend_order_ships_monday(self):
        assert av.earliest_ship_date(now=berlin(SAT, 9), queue=Queue()) == NEXT_MON
        assert av.earliest_ship_date(now=berlin(SUN, 23), queue=Queue()) == NEXT_MON

    def test_handling_days_are_business_days(self):
        queue = Queue(handling_days=2)
        assert av.earliest_ship_date(now=berlin(THU, 10), queue=queue) == NEXT_MON
        assert av.earliest_ship_date(now=berlin(THU, 16), queue=queue) == date(2026, 3, 10)

    def test_cutoff_is_in_the_warehouses_time_zone(self):
        # 14:30 UTC on Monday is 09:30 in New York: before a 12:00 cut-off there.
        queue = Queue(timezone="America/New_York", cutoff_time=time(12, 0))
        assert av.earliest_ship_date(now=datetime(2026, 3, 2, 14, 30, tzinfo=UTC), queue=queue) == MON
        # 17:30 UTC is 12:30 there: after the cut-off.
        assert av.earliest_ship_date(now=datetime(2026, 3, 2, 17, 30, tzinfo=UTC), queue=queue) == TUE

    def test_local_date_differs_from_utc_date(self):
        # 23:30 UTC Friday is 00:30 Saturday in Berlin: ships Monday; in UTC terms it would be Friday late.
        assert av.earliest_ship_date(now=datetime(2026, 3, 6, 23, 30, tzinfo=UTC), queue=Queue()) == NEXT_MON

    def test_restock_goods_ship_from_the_business_day_after_arrival(self):
        assert av.earliest_ship_date(now=berlin(MON, 9), queue=Queue(), available_from=WED) == THU
        assert av.earliest_ship_date(now=berlin(MON, 9), queue=Queue(), available_from=FRI) == NEXT_MON
        assert (
            av.earliest_ship_date(now=berlin(MON, 9), queue=Queue(handling_days=1), available_from=WED) == FRI
        )


class TestRestock:
    def test_earliest_dated_lines_and_their_sum(self):
        lines = [
            av.RestockLine(FRI, 10, "PO-2", 2),
            av.RestockLine(WED, 4, "PO-1", 1),
            av.RestockLine(WED, 6, "ASN-9", 9),
            av.RestockLine(None, 50, "PO-3", 3),
        ]
        restock = av.next_restock(lines, today=MON)
        assert restock == av.Restock(WED, 10, False, ("ASN-9", "PO-1"), (1, 9))

    def test_fully_received_lines_are_ignored(self):
        assert av.next_restock([av.RestockLine(WED, 0, "PO-1")], today=MON) is None
        assert av.next_restock([], today=MON) is None

    def test_past_date_is_overdue(self):
        restock = av.next_restock([av.RestockLine(MON, 3, "PO-1")], today=WED)
        assert restock is not None and restock.overdue and restock.date == MON

    def test_undated_lines_count_when_none_is_dated(self):
        restock = av.next_restock([av.RestockLine(None, 3), av.RestockLine(None, 4)], today=MON)
        assert restock == av.Restock(None, 7, False)


class TestPromise:
    def test_from_stock_with_transit(self):
        promise = av.promise(now=berlin(FRI, 10), queue=Queue(), available=3, restock=None, transit_days=2)
        assert promise == av.Promise(ship_date=FRI, delivery_date=date(2026, 3, 10), from_restock=False)

    def test_from_stock_without_transit_has_no_delivery_date(self):
        promise = av.promise(now=berlin(FRI, 10), queue=Queue(), available=3, restock=None, transit_days=None)
        assert promise == av.Promise(ship_date=FRI, delivery_date=None, from_restock=False)

    def test_waits_for_restock_when_out_of_stock(self):
        restock = av.Restock(WED, 20, False)
        promise = av.promise(now=berlin(MON, 10), queue=Queue(), available=0, restock=restock, transit_days=1)
        assert promise == av.Promise(ship_date=THU, delivery_date=FRI, from_restock=True)

    def test_units_owed_come_first(self):
        restock = av.Restock(WED, 5, False)
        assert (
            av.promise(now=berlin(MON, 10), queue=Queue(), available=-5, restock=restock, transit_days=1)
            is None
        )
        assert (
            av.promise(now=berlin(MON, 10), queue=Queue(), available=-4, restock=restock, transit_days=1)
            is not None
        )

    def test_overdue_restock_counts_from_today(self):
        restock = av.Restock(MON, 5, True)
        promise = av.promise(now=berlin(WED, 10), queue=Queue(), available=0, restock=restock, transit_days=0)
        assert promise == av.Promise(ship_date=THU, delivery_date=THU, from_restock=True)

    def test_nothing_to_promise(self):
        assert (
            av.promise(now=berlin(MON, 10), queue=Queue(), available=0, restock=None, transit_days=1) is None
        )
        assert (
            av.promise(
                now=berlin(MON, 10),
                queue=Queue(),
                available=0,
                restock=av.Restock(None, 5, False),
                transit_days=1,
            )
            is None
        )


@pytest.mark.django_db
def test_product_availability_with_a_frozen_clock_across_the_cutoff():
    from frontline.catalog import selectors, services

    from .factories import make_product, make_warehouse, stock

    berlin_wh = make_warehouse("BER", handling_days=0)
    services.transit_time_set(
        warehouse_id=berlin_wh.pk, carrier_code="dhl", business_days=1, by=None, is_default=True
    )
    product = make_product("HP-1", low_stock_threshold=5)
    stock(product, berlin_wh, 3)

    with time_machine.travel(berlin(FRI, 13, 59), tick=False):
        before = selectors.product_availability(product_id=product.pk)
    with time_machine.travel(berlin(FRI, 14, 1), tick=False):
        after = selectors.product_availability(product_id=product.pk)

    assert before.state == Availability.LOW_STOCK
    assert before.promise == av.Promise(ship_date=FRI, delivery_date=NEXT_MON, from_restock=False)
    assert after.promise == av.Promise(
        ship_date=NEXT_MON, delivery_date=date(2026, 3, 10), from_restock=False
    )


@pytest.mark.django_db
def test_figures_are_as_of_the_source_sync_else_the_last_change():
    from datetime import timedelta

    from django.utils import timezone

    from frontline.catalog import selectors, services
    from frontline.catalog.choices import StockSource
    from frontline.catalog.models import StockLevel

    from .factories import make_product, make_warehouse, stock

    ber, rtm = make_warehouse("BER"), make_warehouse("RTM")
    product = make_product("HP-1")
    stock(product, ber, 3)
    synced = timezone.now() - timedelta(hours=3)
    services.stock_count(
        product_id=product.pk, warehouse_id=rtm.pk, counted=2, by=None, source=StockSource.ERP, as_of=synced
    )
    # a figure never synced from a source (rows from before source tracking): its last change
    StockLevel.objects.filter(product=product, warehouse=ber).update(source_synced_at=None)
    changed = StockLevel.objects.get(product=product, warehouse=ber).updated_at

    found = selectors.availability_for_products(products=[product])[product.pk]

    assert [(w.warehouse.code, w.source, w.as_of) for w in found.warehouses] == [
        ("BER", StockSource.FRONTLINE, changed),
        ("RTM", StockSource.ERP, synced),
    ]
    assert found.as_of == synced
