"""Stock services: given stock, when a service runs, then exactly these figures, rows and events."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from frontline.accounts.choices import Role
from frontline.audit.models import AuditEntry
from frontline.catalog import events, services
from frontline.catalog.choices import InboundStatus, MovementKind, StockSource
from frontline.catalog.models import (
    BackorderPeriod,
    InboundShipment,
    InboundShipmentLine,
    Product,
    StockLevel,
    StockMovement,
)
from frontline.catalog.services import InboundLineInput, InsufficientStock, ProductInput
from frontline.core import search
from frontline.core.errors import Conflict, DomainError, FieldErrors, NotFound

from .factories import UserFactory, make_product, make_warehouse, stock

pytestmark = pytest.mark.django_db


@pytest.fixture
def lena():
    return UserFactory(username="lena", role=Role.LOGISTICS)


@pytest.fixture
def ber():
    return make_warehouse("BER")


@pytest.fixture
def rtm():
    return make_warehouse("RTM", country="NL", timezone_name="Europe/Amsterdam")


@pytest.fixture
def product():
    return make_product("HP-100", name="Wireless headphones")


def level(product, warehouse) -> StockLevel:
    return StockLevel.objects.get(product=product, warehouse=warehouse)


def figures(product, warehouse) -> tuple[int, int, int, int]:
    lv = level(product, warehouse)
    return lv.on_hand, lv.reserved, lv.incoming, lv.outgoing


def snapshot() -> tuple:
    return (
        sorted(
            StockLevel.objects.values_list("product_id", "warehouse_id", "on_hand", "reserved", "incoming")
        ),
        StockMovement.objects.count(),
        BackorderPeriod.objects.count(),
        AuditEntry.objects.count(),
        sorted(InboundShipmentLine.objects.values_list("pk", "quantity_received")),
        sorted(InboundShipment.objects.values_list("pk", "status", "expected_date")),
    )


def assert_rebuild_is_consistent() -> None:
    assert services.stock_levels_rebuild() == 0


# --- reservations (the orders app) ---------------------------------------------------------------


class TestReserve:
    def test_reserves_and_writes_ledger_and_audit(self, product, ber, lena):
        stock(product, ber, 10)
        services.stock_reserve(
            product_id=product.pk, warehouse_id=ber.pk, quantity=3, reference="ORD-1", by=lena
        )
        assert figures(product, ber) == (10, 3, 0, 3)
        move = StockMovement.objects.filter(kind=MovementKind.RESERVATION).get()
        assert (move.delta, move.reserved_delta, move.reference, move.actor) == (0, 3, "ORD-1", lena)
        entry = AuditEntry.objects.filter(verb="stock.reserved").get()
        assert entry.data == {
            "warehouse_id": ber.pk,
            "quantity": 3,
            "reference": "ORD-1",
            "on_hand": 10,
            "reserved": 3,
            "available": 7,
        }
        assert_rebuild_is_consistent()

    def test_refuses_more_than_available_and_changes_nothing(self, product, ber):
        stock(product, ber, 2)
        before = snapshot()
        with pytest.raises(InsufficientStock) as exc:
            services.stock_reserve(product_id=product.pk, warehouse_id=ber.pk, quantity=3, reference="ORD-1")
        assert exc.value.field == "quantity" and exc.value.status_code == 409
        assert snapshot() == before

    def test_backorder_allowed_reserves_beyond_stock_and_opens_periods(self, ber):
        product = make_product("ACC-1", allow_backorder=True)
        stock(product, ber, 1)
        services.stock_reserve(product_id=product.pk, warehouse_id=ber.pk, quantity=3, reference="ORD-2")
        assert level(product, ber).available == -2
        assert set(BackorderPeriod.objects.filter(ended_at=None).values_list("warehouse_id", flat=True)) == {
            ber.pk,
            None,
        }

    def test_explicit_allow_backorder_overrides_the_product(self, product, ber):
        services.stock_reserve(
            product_id=product.pk, warehouse_id=ber.pk, quantity=2, reference="ORD-3", allow_backorder=True
        )
        assert level(product, ber).available == -2

    def test_discontinued_product_cannot_be_backordered(self, ber):
        product = make_product("OLD-1", allow_backorder=True)
        services.product_discontinue(product_id=product.pk, by=None)
        with pytest.raises(InsufficientStock):
            services.stock_reserve(product_id=product.pk, warehouse_id=ber.pk, quantity=1, reference="ORD-4")

    @pytest.mark.parametrize("quantity", [0, -1, 1.5, True, "2", services.MAX_QUANTITY + 1])
    def test_bad_quantity_names_the_field(self, product, ber, quantity):
        stock(product, ber, 5)
        before = snapshot()
        with pytest.raises(DomainError) as exc:
            services.stock_reserve(
                product_id=product.pk, warehouse_id=ber.pk, quantity=quantity, reference="x"
            )
        assert exc.value.field == "quantity"
        assert snapshot() == before

    def test_unknown_product_and_warehouse(self, product, ber):
        with pytest.raises(NotFound) as exc:
            services.stock_reserve(product_id=999999, warehouse_id=ber.pk, quantity=1, reference="x")
        assert exc.value.field == "product_id"
        with pytest.raises(NotFound) as exc:
            services.stock_reserve(product_id=product.pk, warehouse_id=999999, quantity=1, reference="x")
        assert exc.value.field == "warehouse_id"
        assert not StockLevel.objects.exists()

    def test_inactive_warehouse_is_refused(self, product, ber):
        ber.is_active = False
        ber.save()
        with pytest.raises(DomainError) as exc:
            services.stock_receive(product_id=product.pk, warehouse_id=ber.pk, quantity=1, by=None)
        assert exc.value.field == "warehouse_id"


class TestReleaseAndShip:
    def test_release(self, product, ber):
        stock(product, ber, 10)
        services.stock_reserve(product_id=product.pk, warehouse_id=ber.pk, quantity=4, reference="ORD-1")
        services.stock_release(product_id=product.pk, warehouse_id=ber.pk, quantity=3, reference="ORD-1")
        assert figures(product, ber) == (10, 1, 0, 1)
        assert_rebuild_is_consistent()

    def test_release_more_than_reserved_is_refused(self, product, ber):
        stock(product, ber, 10)
        services.stock_reserve(product_id=product.pk, warehouse_id=ber.pk, quantity=2, reference="ORD-1")
        before = snapshot()
        with pytest.raises(DomainError) as exc:
            services.stock_release(product_id=product.pk, warehouse_id=ber.pk, quantity=3, reference="ORD-1")
        assert exc.value.field == "quantity"
        assert snapshot() == before

    def test_ship_takes_from_on_hand_and_reserved(self, product, ber):
        stock(product, ber, 10)
        services.stock_reserve(product_id=product.pk, warehouse_id=ber.pk, quantity=4, reference="ORD-1")
        services.stock_ship(product_id=product.pk, warehouse_id=ber.pk, quantity=4, reference="ORD-1")
        assert figures(product, ber) == (6, 0, 0, 0)
        move = StockMovement.objects.get(kind=MovementKind.SHIPMENT)
        assert (move.delta, move.reserved_delta) == (-4, -4)
        assert_rebuild_is_consistent()

    def test_ship_unreserved_is_refused(self, product, ber):
        stock(product, ber, 10)
        before = snapshot()
        with pytest.raises(DomainError) as exc:
            services.stock_ship(product_id=product.pk, warehouse_id=ber.pk, quantity=1, reference="ORD-1")
        assert exc.value.field == "quantity"
        assert snapshot() == before

    def test_ship_backordered_units_not_on_hand_is_refused(self, ber):
        product = make_product("ACC-2", allow_backorder=True)
        stock(product, ber, 1)
        services.stock_reserve(product_id=product.pk, warehouse_id=ber.pk, quantity=3, reference="ORD-1")
        before = snapshot()
        with pytest.raises(InsufficientStock):
            services.stock_ship(product_id=product.pk, warehouse_id=ber.pk, quantity=3, reference="ORD-1")
        assert snapshot() == before

    def test_return_adds_stock(self, product, ber):
        stock(product, ber, 1)
        services.stock_return(product_id=product.pk, warehouse_id=ber.pk, quantity=2, reference="RMA-1")
        assert figures(product, ber)[0] == 3
        assert StockMovement.objects.filter(kind=MovementKind.RETURN, delta=2).exists()


# --- warehouse work ---------------------------------------------------------------------------


class TestAdjustCountTransfer:
    def test_adjust(self, product, ber, lena):
        stock(product, ber, 5)
        services.stock_adjust(product_id=product.pk, warehouse_id=ber.pk, delta=-2, by=lena, note="2 damaged")
        lv = level(product, ber)
        assert (lv.on_hand, lv.source) == (3, StockSource.FRONTLINE)
        move = StockMovement.objects.get(kind=MovementKind.ADJUSTMENT)
        assert (move.delta, move.note, move.actor) == (-2, "2 damaged", lena)
        assert_rebuild_is_consistent()

    @pytest.mark.parametrize(
        ("delta", "note", "field"),
        [(0, "x", "delta"), (-6, "x", "delta"), (2, "  ", "note"), (True, "x", "delta")],
    )
    def test_adjust_refusals_change_nothing(self, product, ber, delta, note, field):
        stock(product, ber, 5)
        before = snapshot()
        with pytest.raises(DomainError) as exc:
            services.stock_adjust(product_id=product.pk, warehouse_id=ber.pk, delta=delta, by=None, note=note)
        assert exc.value.field == field
        assert snapshot() == before

    def test_count_sets_figure_source_and_age(self, product, ber):
        stock(product, ber, 5)
        as_of = timezone.now() - timedelta(hours=3)
        services.stock_count(
            product_id=product.pk,
            warehouse_id=ber.pk,
            counted=8,
            by=None,
            source=StockSource.ERP,
            as_of=as_of,
        )
        lv = level(product, ber)
        assert (lv.on_hand, lv.source, lv.source_synced_at) == (8, StockSource.ERP, as_of)
        assert list(
            StockMovement.objects.filter(kind=MovementKind.COUNT).values_list("delta", flat=True)
        ) == [
            3,
            5,
        ]

    def test_count_refuses_negative_and_unknown_source(self, product, ber):
        stock(product, ber, 5)
        before = snapshot()
        with pytest.raises(DomainError) as exc:
            services.stock_count(product_id=product.pk, warehouse_id=ber.pk, counted=-1, by=None)
        assert exc.value.field == "counted"
        with pytest.raises(DomainError) as exc:
            services.stock_count(product_id=product.pk, warehouse_id=ber.pk, counted=1, by=None, source="fax")
        assert exc.value.field == "source"
        assert snapshot() == before

    def test_transfer(self, product, ber, rtm):
        stock(product, ber, 5)
        services.stock_transfer(
            product_id=product.pk, from_warehouse_id=ber.pk, to_warehouse_id=rtm.pk, quantity=2, by=None
        )
        assert figures(product, ber)[0] == 3 and figures(product, rtm)[0] == 2
        assert sorted(
            StockMovement.objects.filter(kind=MovementKind.TRANSFER).values_list("delta", flat=True)
        ) == [
            -2,
            2,
        ]
        assert_rebuild_is_consistent()

    def test_transfer_refusals(self, product, ber, rtm):
        stock(product, ber, 5)
        services.stock_reserve(product_id=product.pk, warehouse_id=ber.pk, quantity=4, reference="O")
        before = snapshot()
        with pytest.raises(InsufficientStock):
            services.stock_transfer(
                product_id=product.pk, from_warehouse_id=ber.pk, to_warehouse_id=rtm.pk, quantity=2, by=None
            )
        with pytest.raises(DomainError) as exc:
            services.stock_transfer(
                product_id=product.pk, from_warehouse_id=ber.pk, to_warehouse_id=ber.pk, quantity=1, by=None
            )
        assert exc.value.field == "to_warehouse_id"
        assert snapshot() == before


# --- backorder periods --------------------------------------------------------------------------


class TestBackorderPeriods:
    def test_open_and_close_with_available(self, ber):
        product = make_product("ACC-9", allow_backorder=True)
        start = timezone.now()
        stock(product, ber, 2)
        with time_machine.travel(start + timedelta(hours=1), tick=False):
            services.stock_reserve(product_id=product.pk, warehouse_id=ber.pk, quantity=2, reference="O1")
        periods = list(BackorderPeriod.objects.order_by("warehouse_id"))
        assert [(p.warehouse_id, p.ended_at) for p in periods] == [(ber.pk, None), (None, None)] or [
            (p.warehouse_id, p.ended_at) for p in periods
        ] == [(None, None), (ber.pk, None)]
        with time_machine.travel(start + timedelta(days=2), tick=False):
            services.stock_receive(product_id=product.pk, warehouse_id=ber.pk, quantity=5, by=None)
        assert not BackorderPeriod.objects.filter(ended_at=None).exists()
        overall = BackorderPeriod.objects.get(warehouse=None)
        assert overall.ended_at is not None
        assert overall.ended_at - overall.started_at == timedelta(days=2) - timedelta(hours=1)

    def test_overall_stays_open_while_no_warehouse_has_stock_and_closes_with_any(self, product, ber, rtm):
        stock(product, ber, 1)
        services.stock_adjust(product_id=product.pk, warehouse_id=ber.pk, delta=-1, by=None, note="lost")
        assert BackorderPeriod.objects.filter(warehouse=None, ended_at=None).count() == 1
        services.stock_receive(product_id=product.pk, warehouse_id=rtm.pk, quantity=3, by=None)
        assert not BackorderPeriod.objects.filter(warehouse=None, ended_at=None).exists()
        assert BackorderPeriod.objects.filter(warehouse=ber, ended_at=None).exists()

    def test_zero_to_zero_opens_nothing(self, product, ber):
        stock(product, ber, 0)
        stock(product, ber, 0)
        assert not BackorderPeriod.objects.exists()

    def test_three_periods_are_counted(self, product, ber):
        for _ in range(3):
            stock(product, ber, 2)
            stock(product, ber, 0)
        assert BackorderPeriod.objects.filter(warehouse=None).count() == 3
        assert BackorderPeriod.objects.filter(warehouse=None, ended_at=None).count() == 1

    def test_events_after_commit(self, product, ber, django_capture_on_commit_callbacks):
        received = []

        def listener(sender, **kwargs):
            received.append(kwargs)

        events.backorder_started.connect(listener, dispatch_uid="test.backorder")
        try:
            stock(product, ber, 1)
            with django_capture_on_commit_callbacks(execute=False) as callbacks:
                services.stock_adjust(product_id=product.pk, warehouse_id=ber.pk, delta=-1, by=None, note="x")
            assert received == []
            for callback in callbacks:
                callback()
        finally:
            events.backorder_started.disconnect(dispatch_uid="test.backorder")
        assert sorted((r["warehouse_id"] or 0) for r in received) == [0, ber.pk]


# --- inbound -----------------------------------------------------------------------------------


class TestInbound:
    def create(self, product, warehouse, quantity=10, **kwargs):
        values: dict[str, Any] = {"reference": "PO-1", "expected_date": date(2026, 3, 4), "supplier": "Acme"}
        values.update(kwargs)
        return services.inbound_create(
            warehouse_id=warehouse.pk, lines=[InboundLineInput(product.pk, quantity)], by=None, **values
        )

    def test_create_counts_as_incoming(self, product, ber):
        inbound = self.create(product, ber, carrier_code="DHL", tracking_number="JD0001")
        assert (inbound.status, inbound.original_expected_date, inbound.carrier_code) == (
            InboundStatus.ORDERED,
            date(2026, 3, 4),
            "dhl",
        )
        assert figures(product, ber) == (0, 0, 10, 0)
        assert_rebuild_is_consistent()

    def test_draft_is_not_incoming_until_ordered(self, product, ber):
        inbound = self.create(product, ber, status=InboundStatus.DRAFT)
        assert not StockLevel.objects.exists()
        services.inbound_set_status(inbound_id=inbound.pk, status=InboundStatus.IN_TRANSIT, by=None)
        assert figures(product, ber)[2] == 10
        services.inbound_set_status(inbound_id=inbound.pk, status=InboundStatus.CANCELLED, by=None)
        assert figures(product, ber)[2] == 0
        with pytest.raises(DomainError) as exc:
            services.inbound_set_status(inbound_id=inbound.pk, status=InboundStatus.ORDERED, by=None)
        assert exc.value.field == "status"

    def test_create_validation_names_fields_and_writes_nothing(self, product, ber):
        before = snapshot()
        with pytest.raises(FieldErrors) as exc:
            services.inbound_create(
                reference="",
                warehouse_id=ber.pk,
                lines=[InboundLineInput(product.pk, 0), InboundLineInput(product.pk, 2)],
                by=None,
                carrier_code="D H L",
            )
        assert set(exc.value.errors) == {
            "reference",
            "lines[0].quantity",
            "lines[1].product_id",
            "carrier_code",
        }
        with pytest.raises(NotFound) as nf:
            services.inbound_create(
                reference="PO-9", warehouse_id=ber.pk, lines=[InboundLineInput(999999, 1)], by=None
            )
        assert nf.value.field == "lines[0].product_id"
        assert snapshot() == before

    def test_duplicate_reference_conflicts(self, product, ber):
        self.create(product, ber)
        with pytest.raises(Conflict) as exc:
            self.create(product, ber)
        assert exc.value.field == "reference"
        assert InboundShipment.objects.count() == 1 and figures(product, ber)[2] == 10

    def test_reschedule_keeps_the_first_promise(self, product, ber):
        inbound = self.create(product, ber)
        services.inbound_reschedule(inbound_id=inbound.pk, expected_date=date(2026, 3, 9), by=None)
        inbound.refresh_from_db()
        assert (inbound.expected_date, inbound.original_expected_date, inbound.slip_days) == (
            date(2026, 3, 9),
            date(2026, 3, 4),
            5,
        )
        assert AuditEntry.objects.filter(verb="inbound.rescheduled").get().data["to"] == "2026-03-09"

    def test_partial_then_full_receipt(self, product, ber):
        inbound = self.create(product, ber)
        line = inbound.lines.get()
        services.inbound_receive(inbound_id=inbound.pk, quantities={line.pk: 4}, by=None)
        inbound.refresh_from_db()
        assert inbound.status == InboundStatus.PARTIALLY_RECEIVED and inbound.received_at is None
        assert figures(product, ber) == (4, 0, 6, 0)
        services.inbound_receive(inbound_id=inbound.pk, by=None)
        inbound.refresh_from_db()
        assert inbound.status == InboundStatus.RECEIVED and inbound.received_at is not None
        assert figures(product, ber) == (10, 0, 0, 0)
        assert list(
            StockMovement.objects.filter(kind=MovementKind.RECEIPT).values_list("reference", "delta")
        ) == [
            ("PO-1", 6),
            ("PO-1", 4),
        ]
        assert_rebuild_is_consistent()

    def test_receive_refusals_change_nothing(self, product, ber):
        inbound = self.create(product, ber)
        line = inbound.lines.get()
        before = snapshot()
        for quantities, field in (
            ({line.pk: 11}, f"quantities[{line.pk}]"),
            ({line.pk: 0}, "quantities"),
            ({999: 1}, "quantities[999]"),
        ):
            with pytest.raises(DomainError) as exc:
                services.inbound_receive(inbound_id=inbound.pk, quantities=quantities, by=None)
            assert exc.value.field == field
        assert snapshot() == before
        services.inbound_set_status(inbound_id=inbound.pk, status=InboundStatus.CANCELLED, by=None)
        with pytest.raises(DomainError) as exc:
            services.inbound_receive(inbound_id=inbound.pk, by=None)
        assert exc.value.field == "inbound_id"

    def test_receipt_ends_a_backorder(self, ber):
        product = make_product("LAP-1", allow_backorder=True)
        services.stock_reserve(product_id=product.pk, warehouse_id=ber.pk, quantity=1, reference="O1")
        inbound = self.create(product, ber, quantity=5)
        services.inbound_receive(inbound_id=inbound.pk, by=None)
        assert figures(product, ber) == (5, 1, 0, 1)
        assert not BackorderPeriod.objects.filter(ended_at=None).exists()


# --- products -------------------------------------------------------------------------------------


class TestProducts:
    def test_create_indexes_for_search(self, lena):
        product = services.product_create(
            data=ProductInput(sku="GL-15", name="Gaming laptop 15", barcode="4006381333931", price="1499.00"),
            by=lena,
        )
        assert product.price == Decimal("1499.00")
        assert search.search_ids("product", "gaming lap") == [product.pk]
        assert AuditEntry.objects.filter(verb="product.created", actor=lena).count() == 1

    def test_create_validation(self):
        with pytest.raises(FieldErrors) as exc:
            services.product_create(
                data=ProductInput(sku="bad sku", name="", barcode="12ab", price="-1", currency="euro"),
                by=None,
            )
        assert set(exc.value.errors) == {"sku", "name", "barcode", "price", "currency"}
        assert not Product.objects.exists()

    def test_duplicate_sku(self, product):
        with pytest.raises(Conflict) as exc:
            services.product_create(data=ProductInput(sku="HP-100", name="Again"), by=None)
        assert exc.value.field == "sku"

    def test_update_reindexes_and_audits_changes(self, product):
        services.product_update(
            product_id=product.pk, changes={"name": "Studio headphones", "price": "79.90"}, by=None
        )
        product.refresh_from_db()
        assert (product.name, product.price) == ("Studio headphones", Decimal("79.90"))
        assert search.search_ids("product", "studio") == [product.pk]
        assert search.search_ids("product", "wireless") == []
        assert AuditEntry.objects.get(verb="product.updated").data["changes"]["name"] == [
            "Wireless headphones",
            "Studio headphones",
        ]

    def test_update_refuses_unknown_fields(self, product):
        with pytest.raises(DomainError) as exc:
            services.product_update(product_id=product.pk, changes={"sku": "X"}, by=None)
        assert exc.value.field == "sku"

    def test_discontinue_once(self, product):
        services.product_discontinue(product_id=product.pk, by=None)
        with pytest.raises(DomainError):
            services.product_discontinue(product_id=product.pk, by=None)

    def test_create_many(self):
        created = services.product_create_many(
            items=[ProductInput(sku=f"B-{i}", name=f"Bulk {i}") for i in range(5)], by=None
        )
        assert [p.sku for p in created] == [f"B-{i}" for i in range(5)]
        assert len(search.search_ids("product", "bulk")) == 5
        with pytest.raises(Conflict):
            services.product_create_many(items=[ProductInput(sku="B-1", name="Again")], by=None)
        assert Product.objects.count() == 5


# --- rebuild and live -------------------------------------------------------------------------


def test_rebuild_from_ledger_restores_corrupted_levels(product, ber, rtm):
    stock(product, ber, 10)
    services.stock_reserve(product_id=product.pk, warehouse_id=ber.pk, quantity=3, reference="O1")
    services.stock_transfer(
        product_id=product.pk, from_warehouse_id=ber.pk, to_warehouse_id=rtm.pk, quantity=2, by=None
    )
    services.inbound_create(
        reference="PO-5", warehouse_id=rtm.pk, lines=[InboundLineInput(product.pk, 7)], by=None
    )
    expected = sorted(
        StockLevel.objects.values_list("warehouse_id", "on_hand", "reserved", "incoming", "outgoing")
    )
    StockLevel.objects.filter(warehouse=ber).update(on_hand=999, reserved=0, outgoing=0)
    StockLevel.objects.filter(warehouse=rtm).delete()

    assert services.stock_levels_rebuild() == 2
    assert (
        sorted(StockLevel.objects.values_list("warehouse_id", "on_hand", "reserved", "incoming", "outgoing"))
        == expected
    )
    assert expected == [(ber.pk, 8, 3, 0, 3), (rtm.pk, 2, 0, 7, 0)]
    assert services.stock_levels_rebuild() == 0


def test_stock_change_is_published_to_the_live_groups(product, ber, django_capture_on_commit_callbacks):
    from asgiref.sync import async_to_sync, sync_to_async
    from channels.layers import get_channel_layer

    def adjust() -> None:
        with django_capture_on_commit_callbacks(execute=True):
            services.stock_receive(product_id=product.pk, warehouse_id=ber.pk, quantity=4, by=None)

    async def subscribe_change_and_receive() -> tuple[dict, dict]:
        layer = get_channel_layer()
        all_channel = await layer.new_channel()
        one_channel = await layer.new_channel()
        await layer.group_add("stock-all", all_channel)
        await layer.group_add(f"stock-{product.pk}", one_channel)
        await sync_to_async(adjust)()
        return await layer.receive(all_channel), await layer.receive(one_channel)

    to_all, to_one = async_to_sync(subscribe_change_and_receive)()
    expected = {"type": "stock", "product_id": product.pk, "warehouse_ids": [ber.pk]}
    assert to_all["payload"] == expected and to_one["payload"] == expected


def test_nothing_is_published_when_the_service_fails(product, ber, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        with pytest.raises(DomainError):
            services.stock_adjust(product_id=product.pk, warehouse_id=ber.pk, delta=-1, by=None, note="x")
    assert callbacks == []
