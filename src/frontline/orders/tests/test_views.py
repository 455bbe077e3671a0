"""The order pages: permissions (portal customers 403), the tracker as you type, the order
page with its holds and cancellation, the customer 360 fragment, and their query counts
(fixed whatever the number of orders)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from frontline.accounts.choices import Role
from frontline.core.tests.queries import REQUEST_QUERIES
from frontline.orders import services
from frontline.orders.choices import HoldReason, OrderStatus
from frontline.orders.models import OrderHold

from .factories import CustomerFactory, OrderFactory, UserFactory

pytestmark = pytest.mark.django_db


def htmx(target: str) -> dict[str, str]:
    return {"HX-Request": "true", "HX-Target": target}


@pytest.fixture
def justine():
    return CustomerFactory(first_name="Justine", last_name="Harrington", email="justine@example.com")


@pytest.fixture
def order(justine):
    return OrderFactory(number="10023", customer=justine, lines=[("TG15-16-512", 1), ("AS-X2-BLK", 2)])


def login(client, role: str, username: str = ""):
    user = UserFactory(username=username or f"u-{role}", role=role)
    client.force_login(user)
    return user


@pytest.mark.parametrize(
    ("role", "read", "write"),
    [
        (Role.AGENT, 200, 403),
        (Role.REPORTER, 200, 403),
        (Role.LEAD, 200, 302),
        (Role.LOGISTICS, 200, 302),
        (Role.ADMIN, 200, 302),
        (Role.CUSTOMER, 403, 403),
    ],
)
def test_permission_matrix(client, order, justine, role, read, write):
    login(client, role)
    for url in (
        reverse("orders:tracker"),
        reverse("orders:tracker") + "?q=10023",
        reverse("orders:order_detail", args=[order.pk]),
        reverse("orders:customer_orders", args=[justine.pk]),
    ):
        assert client.get(url).status_code == read, url
    response = client.post(reverse("orders:hold_place", args=[order.pk]), {"reason": HoldReason.PAYMENT})
    assert response.status_code == write
    assert OrderHold.objects.exists() == (write == 302)


def test_anonymous_goes_to_the_login_page(client, order):
    response = client.get(reverse("orders:order_detail", args=[order.pk]))
    assert response.status_code == 302 and "/login" in response["Location"]


def test_tracker_search_as_you_type_in_fixed_queries(client, order, justine, django_assert_num_queries):
    login(client, Role.AGENT)
    for n in range(15):
        OrderFactory(number=f"1002{n:02d}", customer=justine)
    with django_assert_num_queries(REQUEST_QUERIES + 2):
        response = client.get(reverse("orders:tracker"), {"q": "10023"}, headers=htmx("order-results"))
    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body
    assert f'href="/orders/{order.pk}/"' in body and "Justine Harrington" in body
    with django_assert_num_queries(REQUEST_QUERIES + 2):
        response = client.get(
            reverse("orders:tracker"), {"q": "justine@example.com"}, headers=htmx("order-results")
        )
    assert response.content.decode().count("<tr>") == 17  # header + 16 orders
    full = client.get(reverse("orders:tracker"), {"q": "nothing-like-this"})
    assert "No order matches" in full.content.decode() and "<html" in full.content.decode()


def test_detail_shows_the_sentence_lines_holds_history_and_the_shipments_slot(
    client, order, django_assert_num_queries
):
    user = login(client, Role.LOGISTICS)
    line = order.lines.order_by("pk").first()
    services.order_hold_place(
        order_id=order.pk,
        by=user,
        reason=HoldReason.OUT_OF_STOCK,
        line_id=line.pk,
        expected_release_date=timezone.localdate() + timedelta(days=2),
        inbound_reference="PO-4711",
    )
    services.order_line_backorder(
        line_id=line.pk, by=user, quantity=1, expected_ship_date=timezone.localdate() + timedelta(days=3)
    )
    with django_assert_num_queries(REQUEST_QUERIES + 4):
        response = client.get(reverse("orders:order_detail", args=[order.pk]))
    body = response.content.decode()
    assert "Your order 10023 is on hold because the Product TG15-16-512 is out of stock" in body
    assert f'hx-get="/shipping/order/{order.pk}/shipments/"' in body
    assert "PO-4711" in body and "Release" in body and "Cancel order" in body
    assert "On hold" in body


def test_agent_sees_no_change_forms(client, order):
    login(client, Role.AGENT)
    body = client.get(reverse("orders:order_detail", args=[order.pk])).content.decode()
    assert "Place hold" not in body and "Cancel order" not in body


def test_place_hold_with_a_past_date_is_a_form_error(client, order):
    login(client, Role.LOGISTICS)
    response = client.post(
        reverse("orders:hold_place", args=[order.pk]),
        {"reason": HoldReason.OUT_OF_STOCK, "expected_release_date": "2001-01-01"},
        headers=htmx("order-holds"),
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert 'id="order-holds"' in body and "The expected release date is in the past." in body
    assert not OrderHold.objects.exists()


def test_place_and_release_a_hold_through_htmx(client, order):
    login(client, Role.LOGISTICS)
    response = client.post(
        reverse("orders:hold_place", args=[order.pk]),
        {"reason": HoldReason.ADDRESS, "note": "Street number missing"},
        headers=htmx("order-holds"),
    )
    assert response.status_code == 204 and response["HX-Redirect"] == f"/orders/{order.pk}/"
    hold = OrderHold.objects.get()
    order.refresh_from_db()
    assert order.status == OrderStatus.ON_HOLD
    response = client.post(
        reverse("orders:hold_release", args=[order.pk, hold.pk]), {"note": "Confirmed by phone"}
    )
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED
    response = client.post(
        reverse("orders:hold_release", args=[order.pk, hold.pk]), headers=htmx("order-holds")
    )
    assert response.status_code == 422 and "already released" in response.content.decode()
    assert client.post(reverse("orders:hold_release", args=[order.pk, 999999])).status_code == 404


def test_cancel_needs_a_reason(client, order):
    login(client, Role.LEAD)
    response = client.post(reverse("orders:order_cancel", args=[order.pk]), {"reason": ""})
    assert response.status_code == 422 and "This field is required." in response.content.decode()
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED
    response = client.post(reverse("orders:order_cancel", args=[order.pk]), {"reason": "Ordered twice"})
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    response = client.post(reverse("orders:order_cancel", args=[order.pk]), {"reason": "Again"})
    assert response.status_code == 422 and "already cancelled" in response.content.decode()


def test_customer_orders_fragment_in_fixed_queries(client, justine, django_assert_num_queries):
    login(client, Role.AGENT)
    for n in range(12):
        OrderFactory(number=f"C{n:03d}", customer=justine)
    with django_assert_num_queries(REQUEST_QUERIES + 2):
        response = client.get(
            reverse("orders:customer_orders", args=[justine.pk]), headers=htmx("customer-orders")
        )
    body = response.content.decode()
    assert 'id="customer-orders"' in body and body.count("list-group-item-action") == 8
    assert "The newest 8 of 12 orders." in body
    empty = CustomerFactory()
    assert "No orders yet." in client.get(reverse("orders:customer_orders", args=[empty.pk])).content.decode()


def test_unknown_order_is_404(client):
    login(client, Role.AGENT)
    assert client.get(reverse("orders:order_detail", args=[999999])).status_code == 404
