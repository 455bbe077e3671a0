"""POST /hooks/tracking/<provider>: signatures, replays, malformed payloads, both formats."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, date, datetime

import pytest
import time_machine

from frontline.audit.models import AuditEntry
from frontline.shipping.choices import ShipmentStatus
from frontline.shipping.models import DeliveryException, ProofOfDelivery, TrackingEvent
from frontline.shipping.webhooks import sign_generic

from . import factories as f

pytestmark = pytest.mark.django_db

GENERIC = "/hooks/tracking/generic"
EASYPOST = "/hooks/tracking/easypost"


@pytest.fixture(autouse=True)
def secrets(settings):
    settings.TRACKING_WEBHOOK_SECRETS = {"generic": "generic-s3cret", "easypost": "whsec_easy"}


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(datetime(2026, 5, 12, 12, tzinfo=UTC), tick=False):
        yield


def post(client, url, payload, *, secret="generic-s3cret", raw: bytes | None = None, headers=None):
    body = raw if raw is not None else json.dumps(payload).encode()
    if headers is None:
        headers = {"X-Frontline-Signature": sign_generic(secret, body)}
    return client.post(url, body, content_type="application/json", headers=headers)


def generic_payload(number: str, **extra) -> dict:
    payload = {
        "carrier": "ups",
        "tracking_number": number,
        "estimated_delivery": "2026-05-14",
        "events": [
            {
                "occurred_at": "2026-05-12T10:15:00+02:00",
                "status": "failed_attempt",
                "code": "NH",
                "description": "Receiver not home, notice left",
                "reason": "consignee_not_home",
                "location": {"city": "Lyon", "postal_code": "69002", "country": "FR"},
            }
        ],
    }
    payload.update(extra)
    return payload


def stored() -> tuple[int, int, int]:
    return (
        TrackingEvent.objects.count(),
        DeliveryException.objects.count(),
        AuditEntry.objects.filter(verb="shipment.tracking_updated").count(),
    )


def test_generic_event_replayed_three_times_stores_one_event_and_one_exception(client):
    shipment = f.shipment(tracking_number="1ZHOOK0001")
    payload = generic_payload("1ZHOOK0001")

    answers = [post(client, GENERIC, payload) for _ in range(3)]

    assert [a.status_code for a in answers] == [200, 200, 200]
    assert [(a.json()["created"], a.json()["duplicates"]) for a in answers] == [(1, 0), (0, 1), (0, 1)]
    assert stored() == (1, 1, 1)
    event = TrackingEvent.objects.get()
    assert (event.shipment_id, event.source, event.carrier_code) == (shipment.pk, "webhook", "NH")
    assert event.occurred_at == datetime(2026, 5, 12, 8, 15, tzinfo=UTC)
    assert (event.city, event.postal_code, event.country) == ("Lyon", "69002", "FR")
    assert DeliveryException.objects.get().kind == "failed_attempt"
    shipment.refresh_from_db()
    assert (shipment.status, shipment.current_edd) == (ShipmentStatus.FAILED_ATTEMPT, date(2026, 5, 14))


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Frontline-Signature": "sha256=" + "0" * 64},
        {"X-Frontline-Signature": sign_generic("wrong-secret", b"{}")},
    ],
)
def test_bad_signature_is_401_and_stores_nothing(client, headers):
    shipment = f.shipment(tracking_number="1ZHOOK0002")
    answer = post(client, GENERIC, generic_payload("1ZHOOK0002"), headers=headers)
    assert answer.status_code == 401
    assert answer.json()["errors"][0]["code"] == "bad_signature"
    assert stored() == (0, 0, 0)
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.LABEL_CREATED and shipment.current_edd is None


def test_a_signature_for_another_body_is_401(client):
    f.shipment(tracking_number="1ZHOOK0003")
    body = json.dumps(generic_payload("1ZHOOK0003")).encode()
    signature = sign_generic("generic-s3cret", body)
    tampered = body.replace(b"failed_attempt", b"delivered")
    answer = post(client, GENERIC, None, raw=tampered, headers={"X-Frontline-Signature": signature})
    assert answer.status_code == 401
    assert stored() == (0, 0, 0)


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        (b"{not json", "body"),
        (b"[1, 2]", "body"),
        (json.dumps({"carrier": "ups", "events": []}).encode(), "tracking_number"),
        (json.dumps({"carrier": "ups", "tracking_number": "1ZHOOK0004"}).encode(), "events"),
        (
            json.dumps(
                {"carrier": "ups", "tracking_number": "1ZHOOK0004", "events": [{"status": "delivered"}]}
            ).encode(),
            "events[0].occurred_at",
        ),
        (
            json.dumps(
                {
                    "carrier": "ups",
                    "tracking_number": "1ZHOOK0004",
                    "events": [{"occurred_at": "2026-05-12T10:00:00Z", "status": "teleported"}],
                }
            ).encode(),
            "events[0].status",
        ),
        (
            json.dumps(
                {
                    "carrier": "ups",
                    "tracking_number": "1ZHOOK0004",
                    "events": [{"occurred_at": "12/05/2026", "status": "delivered"}],
                }
            ).encode(),
            "events[0].occurred_at",
        ),
        (
            json.dumps(
                {
                    "carrier": "ups",
                    "tracking_number": "1ZHOOK0004",
                    "estimated_delivery": "soon",
                    "events": [{"occurred_at": "2026-05-12T10:00:00Z", "status": "delivered"}],
                }
            ).encode(),
            "estimated_delivery",
        ),
    ],
)
def test_malformed_payload_is_400_with_the_field_and_stores_nothing(client, raw, field):
    f.shipment(tracking_number="1ZHOOK0004")
    answer = post(client, GENERIC, None, raw=raw)
    assert answer.status_code == 400
    error = answer.json()["errors"][0]
    assert error["field"] == field and error["message"]
    assert stored() == (0, 0, 0)


def test_unknown_shipment_or_provider_is_404(client):
    answer = post(client, GENERIC, generic_payload("1ZNOPE"))
    assert answer.status_code == 404 and answer.json()["errors"][0]["field"] == "carrier"
    f.shipment(tracking_number="1ZOTHER")
    answer = post(client, GENERIC, generic_payload("1ZNOPE"))
    assert answer.status_code == 404 and answer.json()["errors"][0]["field"] == "tracking_number"
    assert client.post("/hooks/tracking/aftership", b"{}", content_type="application/json").status_code == 404


def test_provider_without_a_secret_is_disabled(client, settings):
    settings.TRACKING_WEBHOOK_SECRETS = {"easypost": "x"}
    f.shipment(tracking_number="1ZHOOK0005")
    assert post(client, GENERIC, generic_payload("1ZHOOK0005")).status_code == 404
    assert stored() == (0, 0, 0)


def test_secrets_from_the_environment(client, settings, monkeypatch):
    del settings.TRACKING_WEBHOOK_SECRETS
    monkeypatch.setenv("TRACKING_WEBHOOK_SECRETS", "easypost=abc, generic=from-env")
    f.shipment(tracking_number="1ZHOOK0006")
    assert post(client, GENERIC, generic_payload("1ZHOOK0006"), secret="from-env").status_code == 200


def test_get_is_not_allowed(client):
    assert client.get(GENERIC).status_code == 405


def test_generic_with_order_number_picks_that_orders_shipment(client):
    first, second = f.order(), f.order()
    f.shipment(order_obj=first, tracking_number="1ZREUSE")
    target = f.shipment(order_obj=second, tracking_number="1ZREUSE")
    answer = post(client, GENERIC, generic_payload("1ZREUSE", order_number=first.number))
    assert answer.status_code == 200
    assert TrackingEvent.objects.get().shipment.order_id == first.pk != target.order_id


# --- EasyPost ----------------------------------------------------------------------------------


def easypost_event(
    number: str, *, status="delivered", detail="arrived_at_destination", description="tracker.updated"
):
    return {
        "id": "evt_frontline_0001",
        "object": "Event",
        "description": description,
        "mode": "test",
        "created_at": "2026-05-12T11:00:00Z",
        "previous_attributes": {"status": "in_transit"},
        "pending_urls": [],
        "completed_urls": [],
        "result": {
            "id": "trk_frontline_0001",
            "object": "Tracker",
            "mode": "test",
            "tracking_code": number,
            "carrier": "UPS",
            "status": status,
            "status_detail": detail,
            "signed_by": "J. DUPONT" if status == "delivered" else None,
            "est_delivery_date": "2026-05-12T00:00:00Z",
            "tracking_details": [
                {
                    "object": "TrackingDetail",
                    "message": "Departed from facility",
                    "status": "in_transit",
                    "status_detail": "departed_facility",
                    "datetime": "2026-05-11T20:00:00Z",
                    "source": "UPS",
                    "tracking_location": {
                        "object": "TrackingLocation",
                        "city": "Paris",
                        "state": None,
                        "country": "FR",
                        "zip": "75001",
                    },
                },
                {
                    "object": "TrackingDetail",
                    "message": "Delivered, left at front door",
                    "status": status,
                    "status_detail": detail,
                    "datetime": "2026-05-12T10:30:00Z",
                    "source": "UPS",
                    "tracking_location": {
                        "object": "TrackingLocation",
                        "city": "Lyon",
                        "state": None,
                        "country": "FR",
                        "zip": "69002",
                    },
                },
            ],
        },
    }


def easypost_post(client, payload, secret="whsec_easy"):
    body = json.dumps(payload).encode()
    signature = "hmac-sha256-hex=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return client.post(
        EASYPOST, body, content_type="application/json", headers={"X-Hmac-Signature": signature}
    )


def test_easypost_tracker_updated_delivers_with_pod_and_replays_idempotently(client):
    shipment = f.shipment(
        tracking_number="1ZEASY0001", origin_warehouse_id=f.warehouse("PAR", "Europe/Paris").pk
    )
    answers = [easypost_post(client, easypost_event("1ZEASY0001")) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert [a.json()["created"] for a in answers] == [2, 0, 0]
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.DELIVERED
    assert shipment.delivered_at == datetime(2026, 5, 12, 8, 30, tzinfo=UTC)  # 10:30 in Paris
    assert ProofOfDelivery.objects.get(shipment=shipment).signed_by == "J. DUPONT"


def test_easypost_weather_delay_detail_opens_a_delay(client):
    f.shipment(tracking_number="1ZEASY0002")
    answer = easypost_post(client, easypost_event("1ZEASY0002", status="in_transit", detail="weather_delay"))
    assert answer.status_code == 200
    assert list(DeliveryException.objects.values_list("kind", "reason")) == [("delayed", "weather_delay")]


def test_easypost_bad_signature_and_other_events(client):
    f.shipment(tracking_number="1ZEASY0003")
    assert easypost_post(client, easypost_event("1ZEASY0003"), secret="nope").status_code == 401
    ignored = easypost_post(client, easypost_event("1ZEASY0003", description="batch.created"))
    assert ignored.status_code == 200 and ignored.json() == {"ignored": True}
    assert stored() == (0, 0, 0)
