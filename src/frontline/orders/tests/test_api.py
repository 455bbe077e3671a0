"""The orders REST API through HTTP: permissions, the error shape naming the field, create,
lookup, list filters and pagination, holds, cancel. Rules are tested in test_services.py."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from frontline.accounts.choices import Role
from frontline.accounts.services import api_token_create
from frontline.orders.choices import OrderStatus
from frontline.orders.models import Order, OrderHold

from .factories import CustomerFactory, OrderFactory, UserFactory, product

pytestmark = pytest.mark.django_db

BASE = "/api/v1/orders"


class Api:
    def __init__(self, client, user) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {api_token_create(user=user, name='test', by=user)[1]}"}

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return self.client.get(BASE + path, params or {}, headers=self.headers)

    def post(self, path: str, body: Any) -> Any:
        return self.client.post(
            BASE + path, json.dumps(body), content_type="application/json", headers=self.headers
        )


def errors(response: Any) -> list[tuple[str, str]]:
    body = response.json()
    assert set(body) == {"errors"}
    return [(item["field"], item["code"]) for item in body["errors"]]


@pytest.fixture
def justine():
    return CustomerFactory(first_name="Justine", last_name="Harrington", email="justine@example.com")


@pytest.fixture
def lena_api(client):
    return Api(client, UserFactory(username="lena", role=Role.LOGISTICS))


@pytest.fixture
def sara_api(client):
    return Api(client, UserFactory(username="sara", role=Role.AGENT))


def test_create_and_read_back(lena_api, justine):
    product("TG15-16-512", "Titan G15 gaming laptop", "1499.00")
    response = lena_api.post(
        "/",
        {
            "number": "10023",
            "customer_id": justine.pk,
            "status": "confirmed",
            "shipping_total": "4.90",
            "lines": [{"sku": "TG15-16-512", "quantity": 1}],
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["number"], body["status"], body["total"], body["customer_name"]) == (
        "10023",
        "confirmed",
        "1503.90",
        "Justine Harrington",
    )
    assert body["lines"][0]["name"] == "Titan G15 gaming laptop"
    assert body["status_sentence"].startswith("Your order 10023 is confirmed")
    assert lena_api.get(f"/{body['id']}").json()["history"][0]["to_status"] == "confirmed"


@pytest.mark.parametrize(
    ("body", "field", "status"),
    [
        ({"lines": []}, "lines", 400),
        ({"lines": [{"sku": "NOPE", "quantity": 1}]}, "lines[0].name", 400),
        ({"lines": [{"sku": "AS-X2-BLK", "quantity": 0}]}, "lines[0].quantity", 400),
        ({"status": "shipped"}, "status", 400),
        ({"surprise": 1}, "surprise", 400),
        ({"customer_id": 999999}, "customer_id", 400),
    ],
)
def test_create_refusals_name_the_field(lena_api, justine, body, field, status):
    product("AS-X2-BLK")
    payload = {
        "number": "10023",
        "customer_id": justine.pk,
        "lines": [{"sku": "AS-X2-BLK", "quantity": 1}],
        **body,
    }
    response = lena_api.post("/", payload)
    assert response.status_code in (status, 422)
    assert field in [f for f, _code in errors(response)]
    assert not Order.objects.exists()


def test_create_duplicate_number_is_409(lena_api, justine):
    OrderFactory(number="10023", customer=justine)
    response = lena_api.post(
        "/", {"number": "10023", "customer_id": justine.pk, "lines": [{"sku": "AS-X2-BLK", "quantity": 1}]}
    )
    assert response.status_code == 409 and errors(response) == [("number", "duplicate")]


def test_permissions(client, sara_api, justine):
    order = OrderFactory(customer=justine)
    assert sara_api.get(f"/{order.pk}").status_code == 200
    response = sara_api.post(f"/{order.pk}/holds", {"reason": "payment"})
    assert response.status_code == 403 and errors(response) == [("__all__", "permission_denied")]
    customer_api = Api(client, UserFactory(username="justine", role=Role.CUSTOMER))
    for path in ("/", f"/{order.pk}", "/lookup?q=10023"):
        assert customer_api.get(path).status_code == 403
    client.logout()
    assert client.get(f"{BASE}/{order.pk}").status_code == 401


def test_lookup(sara_api, justine):
    OrderFactory(number="10023", customer=justine)
    OrderFactory(number="100230", customer=justine)
    response = sara_api.get("/lookup", {"q": "10023"})
    assert [(o["number"], o["matched_by"]) for o in response.json()] == [
        ("10023", "number"),
        ("100230", "number"),
    ]
    assert [o["number"] for o in sara_api.get("/lookup", {"q": "justine@example.com"}).json()] == [
        "100230",
        "10023",
    ]
    assert errors(sara_api.get("/lookup", {"q": "1"})) == [("q", "string_too_short")]


def test_list_filters_and_pages(sara_api, justine):
    other = CustomerFactory()
    now = timezone.now()
    for n in range(5):
        OrderFactory(number=f"A{n}", customer=justine, placed_at=now - timedelta(days=n + 1))
    OrderFactory(number="B1", customer=other, placed_at=now - timedelta(days=10))
    body = sara_api.get("/", {"limit": 2}).json()
    assert (body["count"], body["capped"], [o["number"] for o in body["results"]]) == (6, False, ["A0", "A1"])
    assert "offset=2" in body["next"] and body["previous"] is None
    body = sara_api.get("/", {"customer_id": other.pk}).json()
    assert [o["number"] for o in body["results"]] == ["B1"]
    day = (timezone.localdate() - timedelta(days=2)).isoformat()
    assert [
        o["number"] for o in sara_api.get("/", {"placed_from": day, "placed_to": day}).json()["results"]
    ] == ["A1"]
    assert errors(sara_api.get("/", {"status": "lost"})) == [("status", "enum")]


def test_hold_release_and_cancel(lena_api, justine):
    order = OrderFactory(customer=justine)
    line_id = order.lines.get().pk
    due = (timezone.localdate() + timedelta(days=2)).isoformat()
    response = lena_api.post(
        f"/{order.pk}/holds",
        {
            "reason": "out_of_stock",
            "line_id": line_id,
            "expected_release_date": due,
            "inbound_id": 9,
            "inbound_reference": "PO-9",
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "on_hold" and body["holds"][0]["inbound_reference"] == "PO-9"
    assert "is out of stock; the restock is due on" in body["status_sentence"]
    hold_id = body["holds"][0]["id"]

    again = lena_api.post(f"/{order.pk}/holds", {"reason": "out_of_stock"})
    assert again.status_code == 409 and errors(again) == [("reason", "already_held")]
    past = lena_api.post(f"/{order.pk}/holds", {"reason": "payment", "expected_release_date": "2001-01-01"})
    assert past.status_code == 400 and errors(past) == [("expected_release_date", "invalid")]
    assert OrderHold.objects.count() == 1

    assert lena_api.post(f"/{order.pk}/holds/999999/release", {}).status_code == 404
    released = lena_api.post(f"/{order.pk}/holds/{hold_id}/release", {"note": "Stock arrived"})
    assert released.status_code == 200 and released.json()["status"] == "confirmed"

    cancel = lena_api.post(f"/{order.pk}/cancel", {"reason": "Customer asked"})
    assert cancel.status_code == 200 and cancel.json()["status"] == OrderStatus.CANCELLED
    again = lena_api.post(f"/{order.pk}/cancel", {"reason": "Again"})
    assert again.status_code == 409 and errors(again) == [("order", "cancelled")]
    assert lena_api.post("/999999/cancel", {"reason": "x"}).status_code == 404
