"""The Order Status Tracker lookup, the detail and the customer's orders: what they find and
in how many queries (fixed whatever the number of orders)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from frontline.accounts.choices import Role
from frontline.core.errors import NotFound
from frontline.customers import services as customer_services
from frontline.customers.services import ContactInput
from frontline.orders import selectors, services
from frontline.orders.choices import HoldReason, OrderStatus

from .factories import CustomerFactory, OrderFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent():
    return UserFactory(username="sara", role=Role.AGENT)


@pytest.fixture
def justine():
    return CustomerFactory(
        first_name="Justine", last_name="Harrington", email="justine@example.com", phone="+49 30 1234567"
    )


@pytest.fixture
def orders(justine):
    other = CustomerFactory(first_name="Omar", last_name="Haddad", email="omar@example.com")
    now = timezone.now()
    made = {
        "10023": OrderFactory(number="10023", customer=justine, placed_at=now - timedelta(days=2)),
        "100230": OrderFactory(number="100230", customer=other, placed_at=now - timedelta(days=3)),
        "10024": OrderFactory(number="10024", customer=justine, placed_at=now - timedelta(days=1)),
        "SO-77": OrderFactory(
            number="SO-77",
            customer=other,
            placed_at=now - timedelta(days=4),
            email="Checkout@Example.org",
            phone="+1 555 0100 200",
        ),
    }
    for n in range(20):  # more orders than one page, so counts and limits are exercised
        OrderFactory(number=f"9{n:04d}", customer=other, placed_at=now - timedelta(days=10 + n))
    return made


def numbers(matches) -> list[tuple[str, str]]:
    return [(m.order.number, m.matched_by) for m in matches]


def test_lookup_by_number_exact_first_then_prefix(agent, orders, django_assert_num_queries):
    with django_assert_num_queries(2):
        found = selectors.order_lookup(user=agent, query="10023")
    assert numbers(found) == [("10023", "number"), ("100230", "number")]
    with django_assert_num_queries(2):
        assert numbers(selectors.order_lookup(user=agent, query="1002")) == [
            ("10023", "number"),
            ("100230", "number"),
            ("10024", "number"),
        ]
    assert numbers(selectors.order_lookup(user=agent, query="so-77")) == [("SO-77", "number")]


def test_lookup_by_email_of_the_order_or_the_customer(agent, orders, django_assert_num_queries):
    with django_assert_num_queries(2):
        found = selectors.order_lookup(user=agent, query="JUSTINE@example.com")
    assert numbers(found) == [("10024", "email"), ("10023", "email")]
    assert numbers(selectors.order_lookup(user=agent, query="checkout@example.org")) == [("SO-77", "email")]


def test_lookup_by_phone_normalised(agent, orders, justine, django_assert_num_queries):
    with django_assert_num_queries(2):  # with spaces it is no order number: contacts, orders
        found = selectors.order_lookup(user=agent, query="+49 (30) 123-4567")
    assert numbers(found) == [("10024", "phone"), ("10023", "phone")]
    assert numbers(selectors.order_lookup(user=agent, query="+1 555 0100 200")) == [("SO-77", "phone")]
    with django_assert_num_queries(4):  # digits only: exact number, number prefix, contacts, orders
        found = selectors.order_lookup(user=agent, query="+493012345678")
    assert found == []


def test_lookup_by_customer_name(agent, orders, django_assert_num_queries):
    with django_assert_num_queries(2):  # text with a space: no number lookup; search index, orders
        found = selectors.order_lookup(user=agent, query="justine harr")
    assert numbers(found) == [("10024", "customer"), ("10023", "customer")]
    found = selectors.order_lookup(user=agent, query="Haddad")
    assert len(found) == selectors.LOOKUP_LIMIT
    assert found[0].order.number == "100230"


def test_lookup_needs_two_characters_and_the_permission(orders):
    assert selectors.order_lookup(user=UserFactory(role=Role.AGENT), query="1") == []
    assert selectors.order_lookup(user=UserFactory(role=Role.CUSTOMER), query="10023") == []


def test_lookup_finds_nothing_for_unknown(agent, orders):
    assert selectors.order_lookup(user=agent, query="nobody@example.com") == []
    assert selectors.order_lookup(user=agent, query="77777") == []


def test_detail_loads_lines_holds_and_history_in_four_queries(agent, orders, django_assert_num_queries):
    order = orders["10023"]
    services.order_hold_place(order_id=order.pk, by=agent, reason=HoldReason.PAYMENT)
    with django_assert_num_queries(4):
        loaded = selectors.order_get_for_user(user=agent, pk=order.pk)
        lines, holds, history = (
            list(loaded.lines.all()),
            list(loaded.holds.all()),
            list(loaded.status_changes.all()),
        )
        assert holds[0].placed_by == agent and holds[0].line is None and lines[0].source_warehouse is None
        assert [c.to_status for c in history] == [OrderStatus.ON_HOLD, OrderStatus.CONFIRMED]
        assert loaded.customer.organisation is None


def test_a_portal_customer_sees_only_their_own_orders(orders, justine):
    user = UserFactory(role=Role.CUSTOMER)
    justine.user = user
    justine.save(update_fields=["user"])
    assert selectors.orders_visible_to(user).count() == 2
    with pytest.raises(NotFound):
        selectors.order_get_for_user(user=user, pk=orders["SO-77"].pk)


def test_orders_for_customer(agent, orders, justine, django_assert_num_queries):
    services.order_hold_place(order_id=orders["10023"].pk, by=None, reason=HoldReason.ADDRESS)
    with django_assert_num_queries(2):
        found = selectors.orders_for_customer(user=agent, customer_id=justine.pk, limit=1)
    assert [o.number for o in found.rows] == ["10024"]
    assert (found.total, found.open, found.on_hold) == (2, 2, 1)


def test_order_list_filters_and_pages(agent, orders, justine):
    page = selectors.order_list_for_user(user=agent, filters=selectors.OrderFilters(), limit=5)
    assert page.total == 24 and [o.number for o in page.orders][:2] == ["10024", "10023"]
    page = selectors.order_list_for_user(user=agent, filters=selectors.OrderFilters(customer_id=justine.pk))
    assert [o.number for o in page.orders] == ["10024", "10023"]
    today = timezone.localdate()
    page = selectors.order_list_for_user(
        user=agent,
        filters=selectors.OrderFilters(
            placed_from=today - timedelta(days=3), placed_to=today - timedelta(days=2)
        ),
    )
    assert [o.number for o in page.orders] == ["10023", "100230"]
    services.order_cancel(order_id=orders["SO-77"].pk, by=None, reason="test")
    page = selectors.order_list_for_user(
        user=agent, filters=selectors.OrderFilters(status=OrderStatus.CANCELLED)
    )
    assert [o.number for o in page.orders] == ["SO-77"]


def test_lookup_follows_a_second_email_of_the_customer(agent, orders, justine):
    customer_services.contact_point_add(
        customer_id=justine.pk, by=None, contact=ContactInput(kind="email", value="j.harrington@work.example")
    )
    assert [
        m.order.number for m in selectors.order_lookup(user=agent, query="j.harrington@work.example")
    ] == [
        "10024",
        "10023",
    ]
