"""Normalisation: karrio's parse of our own carrier payloads, the override table, vocabularies,
keywords, time zones and the cross-source event identity."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
import time_machine

from frontline.core.errors import DomainError
from frontline.shipping import services
from frontline.shipping.choices import EventSource, IncidentReason, ShipmentStatus
from frontline.shipping.models import ProofOfDelivery, TrackingEvent
from frontline.shipping.normalize import (
    EASYPOST,
    KARRIO,
    NormalizeError,
    RawEvent,
    dedupe_hash,
    normalize_event,
    normalize_status,
    resolve_occurred_at,
    split_location,
)

from . import factories as f
from .karrio_payloads import dhl_express, ups

S = ShipmentStatus


# --- karrio, from payloads we wrote -----------------------------------------------------------


def test_ups_payload_parses_into_events_with_raw_codes_and_karrio_statuses():
    fetched = ups("ups_delivered.json", "1ZFL0000000000001")

    assert fetched.messages == []
    update = fetched.updates["1ZFL0000000000001"]
    assert update.delivered is True
    assert update.edd == date(2026, 5, 12)
    assert update.service == "UPS Standard"
    assert [(e.code, e.status, e.description) for e in update.events] == [
        ("KB", "delivered", "DELIVERED"),
        ("OT", "in_transit", "Out For Delivery Today"),  # karrio maps UPS type I first: lossy
        ("DP", "in_transit", "Departed from Facility"),
        ("MP", "pending", "Shipper created a label, UPS has not received the package yet."),
    ]
    assert all(e.vocabulary == KARRIO and e.local_time for e in update.events)
    assert update.pod is not None and update.pod.signed_by == "MUELLER"
    assert update.pod.signature_image is not None and update.pod.signature_image.startswith(b"\x89PNG")


@pytest.mark.django_db
@time_machine.travel(datetime(2026, 5, 12, 16, 0, tzinfo=UTC), tick=False)
def test_ups_delivered_payload_ingested_resolves_local_times_and_stores_pod():
    # given a UPS shipment shipped from the Berlin warehouse, and UPS "OT" overridden
    shipment = f.shipment(tracking_number="1ZFL0000000000001", origin_warehouse_id=f.warehouse("BER").pk)
    services.status_override_set(
        by=None, carrier_id=shipment.carrier_id, raw_code="OT", status=S.OUT_FOR_DELIVERY
    )
    update = ups("ups_delivered.json", "1ZFL0000000000001").updates["1ZFL0000000000001"]

    # when the poll result is ingested
    result = services.tracking_events_ingest(
        shipment_id=shipment.pk, events=update.events, source=EventSource.POLL, edd=update.edd, pod=update.pod
    )

    # then the events are stored in UTC from Berlin local time (CEST, +2), raw strings kept
    assert result.created == 4
    events = list(TrackingEvent.objects.filter(shipment=shipment).order_by("occurred_at"))
    assert [e.occurred_at for e in events] == [
        datetime(2026, 5, 10, 7, 0, tzinfo=UTC),
        datetime(2026, 5, 11, 1, 15, tzinfo=UTC),
        datetime(2026, 5, 12, 5, 12, tzinfo=UTC),
        datetime(2026, 5, 12, 12, 30, tzinfo=UTC),
    ]
    assert [(e.carrier_code, e.status) for e in events] == [
        ("MP", S.LABEL_CREATED),
        ("DP", S.IN_TRANSIT),
        ("OT", S.OUT_FOR_DELIVERY),
        ("KB", S.DELIVERED),
    ]
    delivered = events[-1]
    assert (delivered.raw_date, delivered.raw_time, delivered.raw_tz) == (
        "2026-05-12",
        "14:30",
        "Europe/Berlin",
    )
    assert (delivered.city, delivered.postal_code, delivered.country) == ("Berlin", "10115", "DE")
    shipment.refresh_from_db()
    assert shipment.status == S.DELIVERED
    assert shipment.delivered_at == datetime(2026, 5, 12, 12, 30, tzinfo=UTC)
    assert shipment.shipped_at == datetime(2026, 5, 11, 1, 15, tzinfo=UTC)
    assert shipment.label_created_at == datetime(2026, 5, 10, 7, 0, tzinfo=UTC)
    assert shipment.tracking_active is False and shipment.next_poll_at is None
    pod = ProofOfDelivery.objects.get(shipment=shipment)
    assert pod.signed_by == "MUELLER"
    assert pod.signature_image.read().startswith(b"\x89PNG")


@pytest.mark.django_db
@time_machine.travel(datetime(2026, 5, 12, 16, 0, tzinfo=UTC), tick=False)
def test_ups_address_exception_payload_opens_an_address_issue():
    shipment = f.shipment(tracking_number="1ZFL0000000000002")
    update = ups("ups_exception.json", "1ZFL0000000000002").updates["1ZFL0000000000002"]

    result = services.tracking_events_ingest(
        shipment_id=shipment.pk, events=update.events, source=EventSource.POLL, edd=update.edd
    )

    shipment.refresh_from_db()
    assert (shipment.status, shipment.reason) == (S.EXCEPTION, IncidentReason.CONSIGNEE_INCORRECT_ADDRESS)
    exceptions = list(shipment.exceptions.values_list("kind", "rule_id", "reason"))
    assert exceptions == [("address_issue", "R1", "consignee_incorrect_address")]
    assert result.opened and len(result.opened) == 1


def test_dhl_express_payload_parses_with_unmapped_code_left_empty():
    fetched = dhl_express("dhl_express_delayed.xml")

    update = fetched.updates["4711000001"]
    assert update.edd == date(2026, 5, 14)
    assert [(e.code, e.status) for e in update.events] == [
        ("QX", ""),
        ("MD", "delivery_delayed"),
        ("PU", "picked_up"),
    ]


@pytest.mark.django_db
@time_machine.travel(datetime(2026, 5, 11, 16, 0, tzinfo=UTC), tick=False)
def test_dhl_express_unmapped_code_keeps_last_known_status_without_override():
    shipment = f.shipment(carrier_code="dhl_express", tracking_number="4711000001")
    update = dhl_express("dhl_express_delayed.xml").updates["4711000001"]

    services.tracking_events_ingest(
        shipment_id=shipment.pk, events=update.events, source="poll", edd=update.edd
    )

    event = TrackingEvent.objects.get(shipment=shipment, carrier_code="QX")
    assert (event.status, event.description) == (S.UNKNOWN, "Shipment on hold pending investigation")
    shipment.refresh_from_db()
    assert shipment.status == S.DELAYED  # the last event karrio (and we) could map
    assert shipment.status_detail == "Shipment on hold pending investigation"
    assert list(shipment.exceptions.values_list("kind", flat=True)) == ["delayed"]


@pytest.mark.django_db
@time_machine.travel(datetime(2026, 5, 11, 16, 0, tzinfo=UTC), tick=False)
def test_override_table_takes_precedence_for_unmapped_and_mapped_codes():
    # given overrides for DHL's unmapped QX and for MD, which karrio maps to delivery_delayed
    dhl = f.carrier("dhl_express")
    services.status_override_set(
        by=None, carrier_id=dhl.pk, raw_code="QX", status=S.EXCEPTION, reason="parcel_being_researched"
    )
    services.status_override_set(by=None, carrier_id=dhl.pk, raw_code="MD", status=S.FAILED_ATTEMPT)
    shipment = f.shipment(carrier_code="dhl_express", tracking_number="4711000001")
    update = dhl_express("dhl_express_delayed.xml").updates["4711000001"]

    services.tracking_events_ingest(shipment_id=shipment.pk, events=update.events, source="poll")

    rows = dict(TrackingEvent.objects.filter(shipment=shipment).values_list("carrier_code", "status"))
    assert rows == {"PU": S.PICKED_UP, "MD": S.FAILED_ATTEMPT, "QX": S.EXCEPTION}
    shipment.refresh_from_db()
    assert (shipment.status, shipment.reason) == (S.EXCEPTION, "parcel_being_researched")


@pytest.mark.django_db
def test_override_rejects_unknown_status_and_writes_nothing():
    dhl = f.carrier("dhl_express")
    with pytest.raises(DomainError) as caught:
        services.status_override_set(by=None, carrier_id=dhl.pk, raw_code="QX", status="lost_in_space")
    assert caught.value.field == "status"
    assert not dhl.status_overrides.exists()


# --- vocabularies and keywords -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"vocabulary": KARRIO, "status": "on_hold"}, (S.EXCEPTION, "")),
        ({"vocabulary": KARRIO, "status": "ready_for_pickup"}, (S.AVAILABLE_FOR_PICKUP, "")),
        ({"vocabulary": KARRIO, "status": "", "description": "Zustellung verzögert sich"}, (S.DELAYED, "")),
        ({"vocabulary": KARRIO, "status": "", "description": "Scan at hub"}, (S.IN_TRANSIT, "")),
        ({"vocabulary": KARRIO, "status": "", "description": "???"}, (S.UNKNOWN, "")),
        (
            {"vocabulary": EASYPOST, "status": "in_transit", "status_detail": "weather_delay"},
            (S.DELAYED, "weather_delay"),
        ),
        (
            {"vocabulary": EASYPOST, "status": "failure", "status_detail": "lost"},
            (S.EXCEPTION, "carrier_parcel_lost"),
        ),
        (
            {"vocabulary": EASYPOST, "status": "in_transit", "status_detail": "missorted"},
            (S.IN_TRANSIT, "carrier_sorting_error"),
        ),
        ({"vocabulary": EASYPOST, "status": "pre_transit"}, (S.LABEL_CREATED, "")),
        ({"status": "delivered"}, (S.DELIVERED, "")),
        (
            {"vocabulary": KARRIO, "status": "in_transit", "reason": "customs_delay"},
            (S.IN_TRANSIT, "customs_delay"),
        ),
    ],
)
def test_normalize_status(kwargs, expected):
    assert normalize_status(code=kwargs.pop("code", ""), **kwargs) == expected


def test_override_wins_over_vocabulary_and_keeps_event_reason():
    overrides = {"X1": (S.RETURNING, "")}
    assert normalize_status(
        code="X1", status="in_transit", vocabulary=KARRIO, reason="consignee_refused", overrides=overrides
    ) == (S.RETURNING, "consignee_refused")


# --- time zones ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "fallback", "expected"),
    [
        (RawEvent(occurred_at="2026-05-12T14:30:00+02:00"), "UTC", datetime(2026, 5, 12, 12, 30, tzinfo=UTC)),
        (
            RawEvent(occurred_at="2026-05-12T14:30:00"),
            "America/New_York",
            datetime(2026, 5, 12, 18, 30, tzinfo=UTC),
        ),
        (
            RawEvent(occurred_at="2026-05-12T14:30:00.000Z", local_time=True),
            "Europe/Paris",
            datetime(2026, 5, 12, 12, 30, tzinfo=UTC),
        ),
        (
            RawEvent(occurred_at=None, raw_date="2026-02-03", raw_time="11:59", raw_tz="EST"),
            "UTC",
            datetime(2026, 2, 3, 16, 59, tzinfo=UTC),
        ),
        (
            RawEvent(occurred_at=None, raw_date="2026-02-03", raw_time="11:59", raw_tz="GMT+01:00"),
            "UTC",
            datetime(2026, 2, 3, 10, 59, tzinfo=UTC),
        ),
        (
            RawEvent(occurred_at=datetime(2026, 1, 5, 9, 0, tzinfo=timezone(timedelta(hours=-5)))),
            "UTC",
            datetime(2026, 1, 5, 14, 0, tzinfo=UTC),
        ),
    ],
)
def test_resolve_occurred_at(raw, fallback, expected):
    assert resolve_occurred_at(raw, fallback)[0] == expected


def test_event_without_time_is_refused_naming_the_field():
    with pytest.raises(NormalizeError) as caught:
        normalize_event(RawEvent(occurred_at="yesterday"), fallback_tz="UTC")
    assert caught.value.field == "occurred_at"


def test_same_scan_from_two_sources_has_one_identity():
    poll = normalize_event(
        RawEvent(
            occurred_at="2026-05-12T14:30:00.000Z",
            local_time=True,
            code="KB",
            description="DELIVERED",
            location_text="Berlin, 10115, DE",
            vocabulary=KARRIO,
            status="delivered",
        ),
        fallback_tz="Europe/Berlin",
    )
    hook = normalize_event(
        RawEvent(
            occurred_at="2026-05-12T12:30:41Z",
            code="kb",
            description="Delivered ",
            location_text="berlin, 10115, de",
            status="delivered",
        ),
        fallback_tz="UTC",
    )
    assert poll.dedupe_hash == hook.dedupe_hash
    assert poll.dedupe_hash != dedupe_hash(poll.occurred_at, "KB", "DELIVERED", "Hamburg")


def test_split_location():
    assert split_location("Wayne, NJ, 07470, US") == ("Wayne", "NJ", "07470", "US")
    assert split_location("LEIPZIG - GERMANY") == ("LEIPZIG - GERMANY", "", "", "")
