"""The shipping services: shipments, idempotent ingest, exceptions and their workflow, the
order roll-up after commit. Negative tests check that nothing was written."""

from __future__ import annotations

import json
import threading
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import time_machine
from django.db import IntegrityError, connection, transaction

from frontline.accounts.choices import Role
from frontline.accounts.tests.factories import UserFactory
from frontline.audit.models import AuditEntry
from frontline.core.errors import Conflict, DomainError, NotFound
from frontline.customers.models import Interaction
from frontline.orders.choices import OrderStatus
from frontline.orders.models import Order
from frontline.shipping import events as signals
from frontline.shipping import services
from frontline.shipping.choices import ExceptionKind, ExceptionStatus, ShipmentStatus
from frontline.shipping.models import CarrierAccount, DeliveryException, Shipment, ShipmentItem, TrackingEvent
from frontline.shipping.services import ItemInput, ShipmentInput

from . import factories as f

S = ShipmentStatus
K = ExceptionKind
pytestmark = pytest.mark.django_db


def frozen(*args: int):
    return time_machine.travel(f.utc(*args), tick=False)


def audit_count(verb: str) -> int:
    return AuditEntry.objects.filter(verb=verb).count()


# --- carriers ----------------------------------------------------------------------------------


def test_carrier_account_credentials_are_encrypted_at_rest():
    ups = f.carrier("ups")
    account = services.carrier_account_create(
        by=None, carrier_id=ups.pk, name="Main", credentials={"client_id": "cid", "client_secret": "s3cret"}
    )
    stored = CarrierAccount.objects.values_list("credentials_encrypted", flat=True).get(pk=account.pk)
    assert "s3cret" not in stored and "client_id" not in stored
    assert account.credentials() == {"client_id": "cid", "client_secret": "s3cret"}
    assert account.is_default  # the first account of a carrier
    entry = AuditEntry.objects.get(verb="carrier_account.created")
    assert "s3cret" not in json.dumps(entry.data)


def test_second_default_account_takes_over():
    ups = f.carrier("ups")
    first = services.carrier_account_create(by=None, carrier_id=ups.pk, name="A", credentials={})
    second = services.carrier_account_create(
        by=None, carrier_id=ups.pk, name="B", credentials={}, is_default=True
    )
    first.refresh_from_db()
    assert (first.is_default, second.is_default) == (False, True)


# --- shipments ---------------------------------------------------------------------------------


def test_shipment_create_copies_the_promise_and_estimate():
    order = f.order(promised=date(2026, 5, 14))
    shipment = f.shipment(order_obj=order, current_edd=date(2026, 5, 13))
    assert (shipment.promised_date, shipment.current_edd, shipment.original_edd) == (
        date(2026, 5, 14),
        date(2026, 5, 13),
        date(2026, 5, 13),
    )
    assert shipment.status == S.LABEL_CREATED and shipment.tracking_active
    assert shipment.carrier_tracking_url == f"https://track.example/ups/{shipment.tracking_number}"
    assert len(shipment.public_token) >= 20
    assert list(shipment.items.values_list("quantity", flat=True)) == [2]


def test_same_tracking_number_on_another_order_is_allowed_but_not_twice_on_one():
    first, second = f.order(), f.order()
    f.shipment(order_obj=first, tracking_number="1ZREUSED0001")
    f.shipment(order_obj=second, tracking_number="1ZREUSED0001")
    with pytest.raises(Conflict) as caught:
        f.shipment(order_obj=first, tracking_number="1ZREUSED0001", ship_all=False)
    assert caught.value.field == "tracking_number"
    assert Shipment.objects.filter(tracking_number="1ZREUSED0001").count() == 2


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"tracking_number": "x"}, "tracking_number"),
        ({"items": [ItemInput(order_line_id=999_999, quantity=1)]}, "items[0].order_line_id"),
        ({"package_count": 0}, "package_count"),
        ({"direction": "sideways"}, "direction"),
    ],
)
def test_shipment_create_refuses_bad_input_and_writes_nothing(change, field):
    order = f.order()
    data = ShipmentInput(carrier_id=f.carrier().pk, tracking_number="1ZGOOD0001", order_id=order.pk)
    for key, value in change.items():
        setattr(data, key, value)
    with pytest.raises(DomainError) as caught:
        services.shipment_create(by=None, data=data)
    assert caught.value.field == field
    assert not Shipment.objects.exists() and audit_count("shipment.created") == 0


def test_cannot_ship_more_than_ordered():
    order = f.order(lines=(("SKU-1", 2),))
    line = order.lines.get()
    f.shipment(order_obj=order, ship_all=False, items=[ItemInput(order_line_id=line.pk, quantity=2)])
    with pytest.raises(DomainError) as caught:
        f.shipment(order_obj=order, ship_all=False, items=[ItemInput(order_line_id=line.pk, quantity=1)])
    assert caught.value.field == "items[0].quantity"
    assert ShipmentItem.objects.count() == 1


# --- ingest: idempotency -----------------------------------------------------------------------


@frozen(2026, 5, 12, 10)
def test_replayed_events_are_stored_once_and_a_pure_replay_writes_nothing():
    shipment = f.shipment()
    batch = [
        f.ev("2026-05-11T18:00:00Z", "picked_up", "Picked up"),
        f.ev("2026-05-12T06:00:00Z", "in_transit", "Hub"),
    ]
    first = f.ingest(shipment, *batch)
    audits = AuditEntry.objects.count()

    again = f.ingest(shipment, *batch)
    partly = f.ingest(shipment, batch[1], f.ev("2026-05-12T09:00:00Z", "out_for_delivery", "On the van"))

    assert (first.created, first.duplicates) == (2, 0)
    assert (again.created, again.duplicates) == (0, 2)
    assert (partly.created, partly.duplicates) == (1, 1)
    assert TrackingEvent.objects.filter(shipment=shipment).count() == 3
    assert AuditEntry.objects.count() == audits + 1  # only the batch that brought something new
    assert Shipment.objects.get(pk=shipment.pk).status == S.OUT_FOR_DELIVERY


@frozen(2026, 5, 12, 10)
def test_duplicate_inside_one_batch_is_stored_once():
    shipment = f.shipment()
    event = f.ev("2026-05-11T18:00:00Z", "picked_up", "Picked up")
    result = f.ingest(shipment, event, event)
    assert (result.created, result.duplicates) == (1, 1)


@frozen(2026, 5, 12, 10)
def test_an_older_event_arriving_late_does_not_move_the_status_back():
    shipment = f.shipment()
    f.ingest(shipment, f.ev("2026-05-12T09:00:00Z", "out_for_delivery"))
    f.ingest(shipment, f.ev("2026-05-11T18:00:00Z", "picked_up"))
    shipment.refresh_from_db()
    assert shipment.status == S.OUT_FOR_DELIVERY
    assert shipment.shipped_at == datetime(2026, 5, 11, 18, tzinfo=UTC)
    assert shipment.last_event_at == datetime(2026, 5, 12, 9, tzinfo=UTC)


@frozen(2026, 5, 12, 10)
def test_bad_event_in_a_batch_refuses_the_whole_batch():
    shipment = f.shipment()
    before = AuditEntry.objects.count()
    with pytest.raises(DomainError) as caught:
        f.ingest(shipment, f.ev("2026-05-11T18:00:00Z", "picked_up"), f.ev("not a date", "in_transit"))
    assert caught.value.field == "events[1].occurred_at"
    assert not TrackingEvent.objects.exists()
    assert AuditEntry.objects.count() == before
    shipment.refresh_from_db()
    assert shipment.status == S.LABEL_CREATED and shipment.last_event_at is None


def test_ingest_for_a_missing_shipment_is_not_found():
    with pytest.raises(NotFound):
        services.tracking_events_ingest(shipment_id=123456, events=[], source="poll")


# --- exceptions --------------------------------------------------------------------------------


@frozen(2026, 5, 12, 10)
def test_one_open_exception_per_kind_a_second_failure_refreshes_it():
    shipment = f.shipment()
    first = f.ingest(shipment, f.ev("2026-05-12T08:00:00Z", "failed_attempt", "Nobody home"))
    second = f.ingest(shipment, f.ev("2026-05-12T09:00:00Z", "failed_attempt", "Nobody home, 2nd attempt"))
    assert len(first.opened) == 1 and second.opened == []
    assert DeliveryException.objects.filter(shipment=shipment, kind=K.FAILED_ATTEMPT).count() == 1


@frozen(2026, 5, 12, 10)
def test_the_database_refuses_a_second_open_exception_of_a_kind():
    shipment = f.shipment()
    f.ingest(shipment, f.ev("2026-05-12T08:00:00Z", "exception", "Held"))
    existing = DeliveryException.objects.get(shipment=shipment)
    with pytest.raises(IntegrityError), transaction.atomic():
        DeliveryException.objects.create(
            shipment=shipment,
            kind=existing.kind,
            severity="low",
            rule_id="R1",
            fingerprint="other",
            summary="duplicate",
            detected_at=existing.detected_at,
        )
    services.exception_resolve(exception_id=existing.pk, by=None, resolution="wait")
    DeliveryException.objects.create(
        shipment=shipment,
        kind=existing.kind,
        severity="low",
        rule_id="R1",
        fingerprint="other",
        summary="a new one once the first is resolved",
        detected_at=existing.detected_at,
    )


@frozen(2026, 5, 12, 10)
def test_delivery_auto_resolves_open_exceptions_and_reports_them():
    shipment = f.shipment()
    f.ingest(shipment, f.ev("2026-05-12T08:00:00Z", "failed_attempt", "Nobody home"))
    exception = DeliveryException.objects.get(shipment=shipment)
    resolved = []
    handler = lambda sender, **kw: resolved.append((kw["exception_id"], kw["resolution"]))  # noqa: E731
    signals.delivery_exception_resolved.connect(handler)
    try:
        result = f.ingest(shipment, f.ev("2026-05-12T09:40:00Z", "delivered", "Delivered to neighbour"))
    finally:
        signals.delivery_exception_resolved.disconnect(handler)
    exception.refresh_from_db()
    assert result.resolved == [exception.pk]
    assert (exception.status, exception.resolution) == (ExceptionStatus.AUTO_RESOLVED, "delivered")
    assert exception.resolved_at == datetime(2026, 5, 12, 10, tzinfo=UTC)


@frozen(2026, 5, 12, 10)
def test_exception_workflow_assign_acknowledge_contact_resolve():
    agent = UserFactory(role=Role.AGENT)
    sales = UserFactory(role=Role.SALES)
    order = f.order(total="480.00", promised=date(2026, 5, 13))
    shipment = f.shipment(order_obj=order)
    f.ingest(
        shipment,
        f.ev("2026-05-12T08:00:00Z", "exception", "Damaged in transit", reason="carrier_damaged_parcel"),
    )
    exception = DeliveryException.objects.get(shipment=shipment)
    assert (exception.kind, exception.severity, exception.order_id) == (K.DAMAGED, "high", order.pk)
    base = exception.impact_score

    with pytest.raises(DomainError) as caught:
        services.exception_assign(exception_id=exception.pk, by=agent, assignee_id=sales.pk)
    assert caught.value.field == "assignee_id"
    assert DeliveryException.objects.get(pk=exception.pk).assigned_to_id is None

    services.exception_acknowledge(exception_id=exception.pk, by=agent)
    with pytest.raises(Conflict):
        services.exception_acknowledge(exception_id=exception.pk, by=agent)
    services.exception_mark_customer_contacted(exception_id=exception.pk, by=agent, proactive=True)
    services.exception_mark_customer_contacted(exception_id=exception.pk, by=agent, proactive=False)
    exception.refresh_from_db()
    assert exception.assigned_to == agent and exception.acknowledged_at is not None
    assert exception.status == ExceptionStatus.CUSTOMER_NOTIFIED
    assert exception.contacted_first is True  # we were first: caught proactively
    assert exception.customer_contacts == 1
    assert exception.impact_score == base + 5

    with pytest.raises(DomainError) as caught:
        services.exception_resolve(exception_id=exception.pk, by=agent, resolution="delivered")
    assert caught.value.field == "resolution"
    services.exception_resolve(
        exception_id=exception.pk, by=agent, resolution="reship", note="Sent a new one"
    )
    exception.refresh_from_db()
    assert (exception.status, exception.resolution, exception.resolved_by) == (
        ExceptionStatus.RESOLVED,
        "reship",
        agent,
    )
    with pytest.raises(Conflict):
        services.exception_resolve(exception_id=exception.pk, by=agent, resolution="refund")
    verbs = list(
        AuditEntry.objects.filter(verb__startswith="delivery_exception.")
        .order_by("pk")
        .values_list("verb", flat=True)
    )
    assert verbs == [
        "delivery_exception.opened",
        "delivery_exception.acknowledged",
        "delivery_exception.customer_contacted",
        "delivery_exception.customer_contacted",
        "delivery_exception.resolved",
    ]


@frozen(2026, 5, 12, 10)
def test_customer_first_contact_means_not_caught_proactively():
    shipment = f.shipment()
    f.ingest(shipment, f.ev("2026-05-12T08:00:00Z", "exception", "Held"))
    exception = DeliveryException.objects.get(shipment=shipment)
    services.exception_mark_customer_contacted(exception_id=exception.pk, by=None, proactive=False)
    services.exception_mark_customer_contacted(exception_id=exception.pk, by=None, proactive=True)
    exception.refresh_from_db()
    assert exception.contacted_first is False


@frozen(2026, 5, 12, 10)
def test_impact_score_ranks_value_lateness_and_promise():
    rich = f.shipment(
        order_obj=f.order(total="900.00", promised=date(2026, 5, 11)), current_edd=date(2026, 5, 11)
    )
    small = f.shipment(
        order_obj=f.order(total="20.00", promised=date(2026, 5, 20)), current_edd=date(2026, 5, 11)
    )
    for shipment in (rich, small):
        f.ingest(shipment, f.ev("2026-05-12T08:00:00Z", "delayed", "Delay"), edd=date(2026, 5, 14))
    scores = dict(
        DeliveryException.objects.filter(kind=K.ETA_SLIP).values_list("shipment_id", "impact_score")
    )
    # high severity 30 + order 20 + customer 900/2500*15=5.4 + 3 days 9 + promise 10 = 74
    assert scores[rich.pk] == 74
    assert scores[small.pk] < scores[rich.pk]


# --- order roll-up, after commit -----------------------------------------------------------


@frozen(2026, 5, 12, 10)
def test_status_change_rolls_the_order_up_after_commit(django_capture_on_commit_callbacks):
    order = f.order(lines=(("SKU-1", 2), ("SKU-2", 1)))
    Order.objects.filter(pk=order.pk).update(status=OrderStatus.CONFIRMED)
    line1, line2 = order.lines.order_by("pk")
    shipment = f.shipment(
        order_obj=order, ship_all=False, items=[ItemInput(order_line_id=line1.pk, quantity=2)]
    )

    with django_capture_on_commit_callbacks(execute=True):
        f.ingest(shipment, f.ev("2026-05-12T08:00:00Z", "picked_up", "Picked up"))
    order.refresh_from_db()
    line1.refresh_from_db()
    assert order.status == OrderStatus.PARTIALLY_SHIPPED
    assert line1.quantity_shipped == 2

    second = f.shipment(
        order_obj=order, ship_all=False, items=[ItemInput(order_line_id=line2.pk, quantity=1)]
    )
    with django_capture_on_commit_callbacks(execute=True):
        f.ingest(second, f.ev("2026-05-12T08:30:00Z", "delivered", "Delivered"))
        f.ingest(shipment, f.ev("2026-05-12T09:00:00Z", "delivered", "Delivered"))
    order.refresh_from_db()
    assert order.status == OrderStatus.DELIVERED
    summaries = list(
        Interaction.objects.filter(customer_id=order.customer_id, kind="shipment").values_list(
            "summary", flat=True
        )
    )
    assert f"UPS {shipment.tracking_number}: Delivered" in summaries


@frozen(2026, 5, 12, 10)
def test_a_replay_sends_no_order_update(django_capture_on_commit_callbacks):
    shipment = f.shipment(order_obj=f.order())
    f.ingest(shipment, f.ev("2026-05-12T08:00:00Z", "picked_up"))
    with django_capture_on_commit_callbacks() as callbacks:
        f.ingest(shipment, f.ev("2026-05-12T08:00:00Z", "picked_up"))
    assert callbacks == []


# --- concurrency (PostgreSQL) ------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@frozen(2026, 5, 12, 10)
def test_two_concurrent_ingests_of_the_same_event_store_one():
    shipment = f.shipment()
    event = f.ev("2026-05-12T08:00:00Z", "exception", "Held at customs", reason="customs_inspection")
    barrier = threading.Barrier(2)
    results: list[services.IngestResult] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            barrier.wait(timeout=30)
            results.append(f.ingest(shipment, event))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert sorted(r.created for r in results) == [0, 1]
    assert TrackingEvent.objects.filter(shipment=shipment).count() == 1
    assert DeliveryException.objects.filter(shipment=shipment).count() == 1
    assert AuditEntry.objects.filter(verb="shipment.tracking_updated").count() == 1


def test_decimal_weight_roundtrip():
    shipment = f.shipment(weight=Decimal("2.500"))
    assert Shipment.objects.get(pk=shipment.pk).weight == Decimal("2.500")
