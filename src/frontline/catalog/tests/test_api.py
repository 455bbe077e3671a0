"""/api/v1/catalog: availability, stock levels, adjust, inbound; permissions and error shape."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from django.test import Client

from frontline.accounts.choices import Role
from frontline.accounts.services import api_token_create
from frontline.catalog import services
from frontline.catalog.choices import InboundStatus
from frontline.catalog.models import InboundShipment, StockLevel, StockMovement
from frontline.catalog.services import InboundLineInput

from .factories import UserFactory, make_product, make_warehouse, stock

pytestmark = pytest.mark.django_db

BASE = "/api/v1/catalog"


class Api:
    def __init__(self, client: Client, token: str) -> None:
        self.client, self.headers = client, {"Authorization": f"Bearer {token}"}

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return self.client.get(BASE + path, params or {}, headers=self.headers)

    def post(self, path: str, body: Any) -> Any:
        return self.client.post(
            BASE + path, json.dumps(body), content_type="application/json", headers=self.headers
        )


def api_for(client: Client, role: Role) -> Api:
    user = UserFactory(username=f"api-{role.value}", role=role)
    _row, token = api_token_create(user=user, name="test", by=user)
    return Api(client, token)


def fields(response: Any) -> list[tuple[str, str]]:
    body = response.json()
    assert set(body) == {"errors"}
    return [(e["field"], e["code"]) for e in body["errors"]]


@pytest.fixture
def ber():
    wh = make_warehouse("BER")
    services.transit_time_set(
        warehouse_id=wh.pk, carrier_code="dhl", business_days=1, by=None, is_default=True
    )
    return wh


@pytest.fixture
def laptop(ber):
    product = make_product("GL-15", name="Gaming laptop", allow_backorder=False)
    services.inbound_create(
        reference="PO-77",
        warehouse_id=ber.pk,
        lines=[InboundLineInput(product.pk, 12)],
        expected_date=date(2030, 1, 3),
        by=None,
    )
    return product


def test_product_list_search_and_pagination(client, ber, laptop):
    api = api_for(client, Role.REPORTER)
    for i in range(3):
        stock(make_product(f"HP-{i}", name=f"Headphones {i}"), ber, 20)
    body = api.get("/products", {"limit": 2}).json()
    assert body["count"] == 4 and len(body["results"]) == 2 and body["next"].endswith("limit=2&offset=2")
    body = api.get("/products", {"q": "gaming"}).json()
    assert [
        (r["sku"], r["state"], r["next_restock"]["date"], r["next_restock"]["quantity"])
        for r in body["results"]
    ] == [("GL-15", "backorder", "2030-01-03", 12)]
    assert body["results"][0]["promise"]["from_restock"] is True


def test_product_detail(client, ber, laptop):
    api = api_for(client, Role.AGENT)
    body = api.get(f"/products/{laptop.pk}", {"country": "de"}).json()
    assert body["state"] == "backorder" and body["available"] == 0
    (warehouse,) = body["warehouses"]
    assert (
        warehouse["warehouse"],
        warehouse["incoming"],
        warehouse["carrier"],
        warehouse["transit_days"],
    ) == ("BER", 12, "dhl", 1)
    assert body["backorders_90_days"] == 0 and body["backorder_periods"] == []


def test_unknown_product_is_404_in_the_error_shape(client):
    api = api_for(client, Role.AGENT)
    assert api.get("/products/999999").status_code == 404


def test_customer_gets_403(client, laptop):
    api = api_for(client, Role.CUSTOMER)
    response = api.get("/products")
    assert response.status_code == 403 and fields(response) == [("__all__", "permission_denied")]


def test_adjust(client, ber, laptop):
    api = api_for(client, Role.LOGISTICS)
    response = api.post(
        f"/products/{laptop.pk}/adjust", {"warehouse_id": ber.pk, "delta": 3, "note": "found"}
    )
    assert response.status_code == 200
    assert (response.json()["on_hand"], response.json()["incoming"]) == (3, 12)


def test_adjust_errors_name_the_field_and_change_nothing(client, ber, laptop):
    api = api_for(client, Role.LOGISTICS)
    response = api.post(
        f"/products/{laptop.pk}/adjust", {"warehouse_id": ber.pk, "delta": -3, "note": "lost"}
    )
    assert response.status_code == 400 and fields(response) == [("delta", "invalid")]
    response = api.post(
        f"/products/{laptop.pk}/adjust", {"warehouse_id": ber.pk, "delta": "many", "note": "x"}
    )
    assert response.status_code in (400, 422) and fields(response)[0][0] == "delta"
    assert not StockMovement.objects.filter(kind="adjustment").exists()


def test_agent_cannot_adjust(client, ber, laptop):
    api = api_for(client, Role.AGENT)
    response = api.post(
        f"/products/{laptop.pk}/adjust", {"warehouse_id": ber.pk, "delta": 3, "note": "found"}
    )
    assert response.status_code == 403
    assert not StockMovement.objects.filter(kind="adjustment").exists()


def test_stock_levels(client, ber, laptop):
    api = api_for(client, Role.AGENT)
    body = api.get("/stock-levels", {"product_id": laptop.pk}).json()
    assert body["count"] == 1 and body["results"][0]["incoming"] == 12


def test_inbound_create_list_receive(client, ber, laptop):
    api = api_for(client, Role.LOGISTICS)
    response = api.post(
        "/inbound",
        {
            "reference": "ASN-1",
            "warehouse_id": ber.pk,
            "expected_date": "2030-01-02",
            "carrier_code": "ups",
            "tracking_number": "1Z999",
            "lines": [{"product_id": laptop.pk, "quantity": 5}],
        },
    )
    assert response.status_code == 201
    created = response.json()
    assert (created["status"], created["lines"][0]["remaining"]) == ("ordered", 5)
    body = api.get("/inbound", {"open": "true"}).json()
    assert [r["reference"] for r in body["results"]] == ["ASN-1", "PO-77"]
    line_id = created["lines"][0]["id"]
    response = api.post(f"/inbound/{created['id']}/receive", {"lines": [{"line_id": line_id, "quantity": 2}]})
    assert response.status_code == 200 and response.json()["status"] == "partially_received"
    response = api.post(f"/inbound/{created['id']}/receive", {})
    assert response.json()["status"] == "received"
    assert StockLevel.objects.get(product=laptop, warehouse=ber).on_hand == 5


def test_inbound_errors(client, ber, laptop):
    api = api_for(client, Role.LOGISTICS)
    response = api.post(
        "/inbound",
        {"reference": "PO-77", "warehouse_id": ber.pk, "lines": [{"product_id": laptop.pk, "quantity": 1}]},
    )
    assert response.status_code == 409 and fields(response) == [("reference", "conflict")]
    response = api.post(
        "/inbound",
        {"reference": "PO-78", "warehouse_id": ber.pk, "lines": [{"product_id": laptop.pk, "quantity": 0}]},
    )
    assert response.status_code == 400 and fields(response) == [("lines[0].quantity", "invalid")]
    inbound = InboundShipment.objects.get(reference="PO-77")
    response = api.post(
        f"/inbound/{inbound.pk}/receive", {"lines": [{"line_id": inbound.lines.get().pk, "quantity": 99}]}
    )
    assert response.status_code == 400 and fields(response)[0][0].startswith("quantities[")
    assert InboundShipment.objects.count() == 1
    assert InboundShipment.objects.get().status == InboundStatus.ORDERED
