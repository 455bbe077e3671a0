"""Staff pages: permissions, what they show, query counts."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine
from django.urls import reverse

from frontline.accounts.choices import Role
from frontline.accounts.tests.factories import PASSWORD, UserFactory
from frontline.core.tests.queries import REQUEST_QUERIES
from frontline.shipping.services import PodInput

from . import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(datetime(2026, 5, 12, 12, tzinfo=UTC), tick=False):
        yield


def login(client, role=Role.AGENT):
    user = UserFactory(role=role)
    assert client.login(username=user.username, password=PASSWORD)
    return user


@pytest.fixture
def delivered():
    shipment = f.shipment(order_obj=f.order(promised=date(2026, 5, 13)), current_edd=date(2026, 5, 12))
    f.ingest(shipment, f.ev("2026-05-11T18:00:00Z", "failed_attempt", "Nobody home", code="NH"))
    f.ingest(
        shipment,
        f.ev("2026-05-12T09:00:00Z", "delivered", "Delivered to neighbour", code="KB"),
        pod=PodInput(signed_by="NACHBAR"),
    )
    return shipment


def test_detail_shows_raw_code_beside_our_status_pod_and_exceptions(
    client, delivered, django_assert_num_queries
):
    login(client)
    url = reverse("shipping:shipment_detail", args=[delivered.pk])
    with django_assert_num_queries(REQUEST_QUERIES + 4):
        page = client.get(url)
    html = page.content.decode()
    assert page.status_code == 200
    assert "<code>NH</code> Nobody home" in html and "Delivery attempt failed" in html
    assert "NACHBAR" in html
    assert "Resolved by delivery" not in html  # resolved list shows the resolution, not the status
    assert "Delivered (automatic)" in html


def test_order_fragment_for_htmx(client, delivered, django_assert_num_queries):
    login(client)
    f.shipment(order_obj=delivered.order, ship_all=False, tracking_number="1ZSECOND")
    url = reverse("shipping:order_shipments", args=[delivered.order_id])
    assert url == f"/shipping/order/{delivered.order_id}/shipments/"
    with django_assert_num_queries(REQUEST_QUERIES + 2):
        page = client.get(url, headers={"HX-Request": "true"})
    html = page.content.decode()
    assert page.status_code == 200 and html.lstrip().startswith('<section id="order-shipments"')
    assert delivered.tracking_number in html and "1ZSECOND" in html


def test_list_search_and_carriers(client, delivered, django_assert_num_queries):
    login(client)
    with django_assert_num_queries(REQUEST_QUERIES + 3):
        page = client.get(reverse("shipping:shipment_list"), {"q": delivered.tracking_number})
    assert delivered.tracking_number in page.content.decode()
    by_order = client.get(reverse("shipping:shipment_list"), {"q": delivered.order.number})
    assert delivered.tracking_number in by_order.content.decode()
    with django_assert_num_queries(REQUEST_QUERIES + 1):
        carriers = client.get(reverse("shipping:carrier_list"))
    assert carriers.status_code == 200 and "UPS" in carriers.content.decode()


@pytest.mark.parametrize(
    "name",
    [
        "shipping:shipment_list",
        "shipping:carrier_list",
        "shipping:shipment_detail",
        "shipping:order_shipments",
    ],
)
def test_customers_get_403_and_anonymous_the_login(client, delivered, name):
    args = {"shipping:shipment_detail": [delivered.pk], "shipping:order_shipments": [delivered.order_id]}.get(
        name, []
    )
    url = reverse(name, args=args)
    assert client.get(url).status_code == 302
    login(client, Role.CUSTOMER)
    assert client.get(url).status_code == 403


def test_missing_shipment_is_404(client):
    login(client)
    assert client.get(reverse("shipping:shipment_detail", args=[987654])).status_code == 404
