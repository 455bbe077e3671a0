"""The public tracking page: proof before anything personal, milestones, links, rate limit."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
import time_machine
from django.core.cache import cache
from django.urls import reverse

from frontline.customers.tests.factories import CustomerFactory
from frontline.shipping.models import DeliveryException
from frontline.shipping.services import PodInput
from frontline.shipping.tests import factories as f

pytestmark = pytest.mark.django_db

URL = "/track/"
NOT_FOUND = "We could not find an order with these details."


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(datetime(2026, 5, 12, 12, tzinfo=UTC), tick=False):
        yield


@pytest.fixture(autouse=True)
def clean_counters():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def order():
    customer = CustomerFactory(first_name="Justine", last_name="Harrington")
    return f.order(
        customer=customer, promised=date(2026, 5, 14), placed_at=datetime(2026, 5, 9, 9, tzinfo=UTC)
    )


@pytest.fixture
def in_transit(order):
    shipment = f.shipment(order_obj=order, current_edd=date(2026, 5, 13), tracking_number="1ZTRANSIT0001")
    f.ingest(shipment, f.ev("2026-05-10T08:00:00Z", "picked_up", "Picked up", city="Berlin", country="DE"))
    f.ingest(
        shipment,
        f.ev("2026-05-11T18:00:00Z", "failed_attempt", "Receiver not home", city="Hamburg", country="DE"),
    )
    return shipment


def lookup(client, number, proof):
    return client.post(URL, {"number": number, "proof": proof})


def without_csrf(response) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())


def test_the_form_is_a_public_page_without_the_staff_shell_or_inline_script(client):
    response = client.get(URL)

    html = response.content.decode()
    assert response.status_code == 200
    assert "Where is my order?" in html and 'name="proof"' in html
    assert "navbar" not in html and "<script" not in html and "style=" not in html


def test_the_right_email_shows_milestones_dates_and_events_but_nothing_personal(client, order, in_transit):
    exception = DeliveryException.objects.get(shipment=in_transit)

    response = lookup(client, order.number, order.email.upper())

    html = response.content.decode()
    assert response.status_code == 200
    parcel = response.context["tracking"].parcels[0]
    assert [m.state for m in parcel.milestones] == ["done", "done", "done", "current", "todo"]
    assert [m.label for m in parcel.milestones] == [
        "Ordered",
        "Shipped",
        "In transit",
        "Out for delivery",
        "Delivered",
    ]
    assert (parcel.estimated, parcel.promised) == (date(2026, 5, 13), date(2026, 5, 14))
    assert "Receiver not home" in html and "Hamburg, DE" in html and "1ZTRANSIT0001" in html
    assert [e.description for e in response.context["tracking"].events] == ["Receiver not home", "Picked up"]
    for private in ("Justine", "Harrington", order.email, order.shipping_postal_code, exception.summary):
        assert private not in html


def test_the_postal_code_works_too_whatever_the_spacing(client, order, in_transit):
    response = lookup(client, f" {order.number} ", "10 115")

    assert response.status_code == 200 and "1ZTRANSIT0001" in response.content.decode()


def test_a_wrong_pair_says_the_same_whether_or_not_the_order_exists(client, order, in_transit):
    wrong_email = lookup(client, order.number, "someone@example.com")
    wrong_postal = lookup(client, order.number, "99999")
    no_order = lookup(client, "SO-NOPE", "someone@example.com")

    assert wrong_email.status_code == wrong_postal.status_code == no_order.status_code == 404
    assert NOT_FOUND in without_csrf(wrong_email)
    # The same page, but for the number the visitor typed (echoed back into the form).
    assert without_csrf(wrong_email).replace(order.number, "SO-NOPE") == without_csrf(no_order)
    assert "1ZTRANSIT0001" not in without_csrf(wrong_email) and "tracking" not in wrong_email.context


def test_an_empty_form_is_a_form_error(client):
    response = client.post(URL, {"number": "", "proof": ""})

    assert response.status_code == 422
    assert set(response.context["form"].errors) == {"number", "proof"}


def test_delivered_shows_the_proof_of_delivery_summary_without_the_signers_name(client, order):
    shipment = f.shipment(order_obj=order, current_edd=date(2026, 5, 12))
    f.ingest(
        shipment,
        f.ev("2026-05-12T09:00:00Z", "delivered", "Delivered", city="Berlin", country="DE"),
        pod=PodInput(signed_by="NACHBAR SCHMIDT", location_type="neighbour"),
    )

    response = client.get(reverse("portal:track_link", args=[shipment.public_token]))

    html = response.content.decode()
    parcel = response.context["tracking"].parcels[0]
    assert response.status_code == 200
    assert [m.state for m in parcel.milestones] == ["done"] * 4 + ["current"]
    assert (parcel.left_at, parcel.signed, parcel.estimated) == ("Neighbour", True, None)
    assert "Signed for on delivery" in html and "NACHBAR" not in html


def test_a_signed_link_works_and_a_tampered_one_does_not(client, order, in_transit):
    good = client.get(reverse("portal:track_link", args=[in_transit.public_token]))
    tampered_token = in_transit.public_token[:-1] + ("A" if in_transit.public_token[-1] != "A" else "B")
    tampered = client.get(reverse("portal:track_link", args=[tampered_token]))

    assert good.status_code == 200 and "1ZTRANSIT0001" in good.content.decode()
    assert tampered.status_code == 404 and NOT_FOUND in tampered.content.decode()
    assert "1ZTRANSIT0001" not in tampered.content.decode()


def test_an_order_not_shipped_yet_shows_the_first_milestone(client, order):
    response = lookup(client, order.number, order.email)

    tracking = response.context["tracking"]
    assert response.status_code == 200 and tracking.parcels == []
    assert [m.state for m in tracking.milestones] == ["current", "todo", "todo", "todo", "todo"]


def test_failed_lookups_are_rate_limited_per_address_with_a_429_page(client, order, in_transit, settings):
    settings.LOGIN_MAX_FAILURES = 3
    assert lookup(client, order.number, "a@example.com").status_code == 404
    assert lookup(client, order.number, "b@example.com").status_code == 404

    third = lookup(client, order.number, "c@example.com")
    right = lookup(client, order.number, order.email)
    link = client.get(reverse("portal:track_link", args=[in_transit.public_token]))
    other_address = client.post(URL, {"number": order.number, "proof": order.email}, REMOTE_ADDR="10.9.9.9")

    assert third.status_code == right.status_code == link.status_code == 429
    assert int(right["Retry-After"]) > 0 and "Too many attempts" in right.content.decode()
    assert "1ZTRANSIT0001" not in right.content.decode()
    assert other_address.status_code == 200


def test_a_fixed_number_of_queries_whatever_the_number_of_parcels_and_events(
    client, order, in_transit, django_assert_num_queries
):
    # the order, its shipments, their newest events
    with django_assert_num_queries(3):
        assert lookup(client, order.number, order.email).status_code == 200
    for n in range(3):
        more = f.shipment(order_obj=order, ship_all=False)
        for hour in range(5):
            f.ingest(more, f.ev(f"2026-05-11T{10 + hour:02d}:00:00Z", "in_transit", f"Scan {n}-{hour}"))
    with django_assert_num_queries(3):
        response = lookup(client, order.number, order.email)
    assert len(response.context["tracking"].parcels) == 4 and len(response.context["tracking"].events) == 10
    with django_assert_num_queries(3):
        assert client.get(reverse("portal:track_link", args=[in_transit.public_token])).status_code == 200
