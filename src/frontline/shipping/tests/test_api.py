"""The shipping API through HTTP: permissions, validation, error shape, query counts."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
import time_machine

from frontline.accounts.choices import Role
from frontline.accounts.services import api_token_create
from frontline.audit.models import AuditEntry
from frontline.shipping.models import DeliveryException, Shipment, TrackingEvent

from . import factories as f

pytestmark = pytest.mark.django_db
BASE = "/api/v1/shipping"


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(datetime(2026, 5, 12, 12, tzinfo=UTC), tick=False):
        yield


def token_for(role: str) -> str:
    from frontline.accounts.tests.factories import UserFactory

    user = UserFactory(role=role)
    created = api_token_create(user=user, by=user, name="test")
    return created[1] if isinstance(created, tuple) else created


class Api:
    def __init__(self, client, role: str = Role.AGENT):
        self.client, self.headers = client, {"Authorization": f"Bearer {token_for(role)}"}

    def get(self, path, params=None):
        return self.client.get(BASE + path, params or {}, headers=self.headers)

    def post(self, path, body=None):
        return self.client.post(
            BASE + path, json.dumps(body or {}), content_type="application/json", headers=self.headers
        )


def error_fields(response) -> list[str]:
    return [e["field"] for e in response.json()["errors"]]


def with_exception():
    shipment = f.shipment(order_obj=f.order(total="250.00"))
    f.ingest(shipment, f.ev("2026-05-12T08:00:00Z", "failed_attempt", "Nobody home"))
    return shipment, DeliveryException.objects.get(shipment=shipment)


def test_list_filters_and_paginates_in_fixed_queries(client, django_assert_num_queries):
    api = Api(client)
    for _ in range(3):
        f.shipment(carrier_code="ups", order_obj=f.order())
    dhl = f.shipment(carrier_code="dhl_express", tracking_number="4711000009")
    # auth (token + user) 2, count 1, page 1
    with django_assert_num_queries(4):
        answer = api.get("/shipments", {"carrier": "ups", "limit": 2})
    body = answer.json()
    assert answer.status_code == 200
    assert (body["count"], len(body["results"])) == (3, 2) and body["next"]
    assert {r["carrier"] for r in body["results"]} == {"ups"}
    by_number = api.get("/shipments", {"tracking_number": "4711000009"}).json()
    assert [r["id"] for r in by_number["results"]] == [dhl.pk]


def test_detail_with_events_in_fixed_queries(client, django_assert_num_queries):
    api = Api(client)
    shipment, _exception = with_exception()
    f.ingest(shipment, f.ev("2026-05-12T09:00:00Z", "out_for_delivery", "On the van"))
    with django_assert_num_queries(6):
        answer = api.get(f"/shipments/{shipment.pk}")
    body = answer.json()
    assert answer.status_code == 200
    assert [e["status"] for e in body["events"]] == ["out_for_delivery", "failed_attempt"]
    assert body["exceptions"][0]["kind"] == "failed_attempt"
    assert body["open_exceptions"] == 1 and len(body["items"]) == 1


def test_create_shipment_and_refusals(client):
    api = Api(client, Role.LOGISTICS)
    order = f.order()
    f.carrier("ups")
    line = order.lines.get()
    answer = api.post(
        "/shipments",
        {
            "carrier": "ups",
            "tracking_number": "1ZAPI0001",
            "order_id": order.pk,
            "estimated_delivery": "2026-05-14",
            "items": [{"order_line_id": line.pk, "quantity": 2}],
        },
    )
    assert answer.status_code == 201, answer.json()
    assert answer.json()["current_edd"] == "2026-05-14"
    again = api.post("/shipments", {"carrier": "ups", "tracking_number": "1ZAPI0001", "order_id": order.pk})
    assert again.status_code == 409 and error_fields(again) == ["tracking_number"]
    unknown = api.post("/shipments", {"carrier": "nope", "tracking_number": "1ZAPI0002"})
    assert unknown.status_code == 404 and error_fields(unknown) == ["carrier"]
    shape = api.post("/shipments", {"carrier": "ups", "tracking_number": "1ZAPI0003", "colour": "red"})
    assert shape.status_code == 422 and error_fields(shape) == ["colour"]
    assert Shipment.objects.count() == 1


def test_agent_without_shipment_change_cannot_create_or_add_events(client):
    api = Api(client, Role.AGENT)
    shipment = f.shipment()
    assert api.post("/shipments", {"carrier": "ups", "tracking_number": "1ZAPI0009"}).status_code == 403
    answer = api.post(
        f"/shipments/{shipment.pk}/events",
        {"occurred_at": "2026-05-12T10:00:00+02:00", "status": "delayed", "description": "Truck broke down"},
    )
    assert answer.status_code == 403
    assert not TrackingEvent.objects.exists()


def test_manual_event_is_idempotent(client):
    api = Api(client, Role.LOGISTICS)
    shipment = f.shipment()
    body = {
        "occurred_at": "2026-05-12T10:00:00+02:00",
        "status": "delayed",
        "description": "Truck broke down",
    }
    first, second = (
        api.post(f"/shipments/{shipment.pk}/events", body),
        api.post(f"/shipments/{shipment.pk}/events", body),
    )
    assert (first.status_code, first.json()["created"], second.json()["created"]) == (201, 1, 0)
    assert TrackingEvent.objects.get().source == "manual"
    future = api.post(f"/shipments/{shipment.pk}/events", body | {"occurred_at": "2027-01-01T00:00:00Z"})
    assert future.status_code == 400 and error_fields(future) == ["occurred_at"]


def test_exception_list_and_workflow(client, django_assert_num_queries):
    api = Api(client, Role.AGENT)
    shipment, exception = with_exception()
    with django_assert_num_queries(4):
        listed = api.get("/exceptions", {"carrier": "ups"})
    assert [r["id"] for r in listed.json()["results"]] == [exception.pk]
    assert listed.json()["results"][0]["tracking_number"] == shipment.tracking_number
    assert api.post(f"/exceptions/{exception.pk}/acknowledge").json()["status"] == "acknowledged"
    contacted = api.post(f"/exceptions/{exception.pk}/contacted", {"proactive": True}).json()
    assert (contacted["status"], contacted["contacted_first"]) == ("customer_notified", True)
    bad = api.post(f"/exceptions/{exception.pk}/resolve", {"resolution": "shrug"})
    assert bad.status_code == 400 and error_fields(bad) == ["resolution"]
    resolved = api.post(f"/exceptions/{exception.pk}/resolve", {"resolution": "reship", "note": "New parcel"})
    assert (resolved.status_code, resolved.json()["resolution"]) == (200, "reship")
    assert api.get("/exceptions").json()["count"] == 0
    assert api.get("/exceptions", {"all": "true"}).json()["count"] == 1


def test_reader_without_exception_work_cannot_resolve(client):
    api = Api(client, Role.TECH)
    _shipment, exception = with_exception()
    assert api.get("/exceptions").status_code == 200
    assert api.post(f"/exceptions/{exception.pk}/resolve", {"resolution": "wait"}).status_code == 403
    assert DeliveryException.objects.get().resolved_at is None
    assert not AuditEntry.objects.filter(verb="delivery_exception.resolved").exists()


def test_customers_and_anonymous_are_refused(client):
    f.shipment()
    assert Api(client, Role.CUSTOMER).get("/shipments").status_code == 403
    assert client.get(BASE + "/shipments").status_code == 401
    assert Api(client, Role.AGENT).get("/shipments/999999").status_code == 404


def test_edd_from_webhook_shows_in_detail(client):
    api = Api(client)
    shipment = f.shipment(current_edd=date(2026, 5, 13))
    f.ingest(shipment, f.ev("2026-05-12T08:00:00Z", "in_transit"), edd=date(2026, 5, 15))
    body = api.get(f"/shipments/{shipment.pk}").json()
    assert (body["original_edd"], body["current_edd"]) == ("2026-05-13", "2026-05-15")
