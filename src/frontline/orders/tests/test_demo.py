"""The demo orders: the seed-000 stories and the distributor's orders, deterministic and once."""

from __future__ import annotations

import pytest

from frontline.orders import selectors
from frontline.orders.choices import HoldReason, LineStatus, OrderStatus
from frontline.orders.demo import seed_orders
from frontline.orders.models import Order
from frontline.orders.status import status_sentence

from .factories import CustomerFactory, product, warehouse

pytestmark = pytest.mark.django_db


def test_seed_orders_plays_the_stories_and_is_idempotent(django_user_model):
    warehouse("BER")
    product("TG15-16-512", "Titan G15 gaming laptop", "1499.00")
    product("AS-X2-BLK", "AuraSound X2 wireless headphones", "129.00")
    product("PS-NOVA12-CASE", "PowerSnap charging case", "29.90")
    brake = product("BRK-PAD-220", "Brake pad set", "18.50")
    brake.category = "spare parts"
    brake.save(update_fields=["category"])
    people = [CustomerFactory() for _ in range(5)]
    distributor = CustomerFactory(org="SparePartsPro GmbH")
    ids = [c.pk for c in people] + [distributor.pk]

    result = seed_orders(customer_ids=ids, product_ids=None, scale="s")

    laptop = Order.objects.get(pk=result["laptop_order_id"])
    assert laptop.number == "10023" and laptop.status == OrderStatus.ON_HOLD
    hold = laptop.holds.get()
    assert hold.reason == HoldReason.OUT_OF_STOCK and hold.inbound_reference == "PO-TG15-2612"
    detail = selectors.order_get_for_user(user=django_user_model(is_superuser=True), pk=laptop.pk)
    sentence = status_sentence(detail, lines=list(detail.lines.all()), holds=list(detail.holds.all()))
    assert (
        "Titan G15 gaming laptop is out of stock; the restock is due on" in sentence
        and "(in 2 days)" in sentence
    )
    accessory = Order.objects.filter(pk__in=result["accessory_order_ids"]).order_by("placed_at")
    assert [o.status for o in accessory] == [
        OrderStatus.DELIVERED,
        OrderStatus.DELIVERED,
        OrderStatus.CONFIRMED,
    ]
    assert accessory.last().lines.get().status == LineStatus.BACKORDERED
    assert len(result["distributor_order_ids"]) == 300
    assert set(
        Order.objects.filter(pk__in=result["distributor_order_ids"]).values_list("customer_id", flat=True)
    ) == {distributor.pk}
    assert Order.objects.filter(customer_id=distributor.pk, lines__sku="BRK-PAD-220").exists()

    total = Order.objects.count()
    again = seed_orders(customer_ids=ids, product_ids=None, scale="s")
    assert Order.objects.count() == total
    assert again["laptop_order_id"] == result["laptop_order_id"]
    assert sorted(again["distributor_order_ids"]) == sorted(result["distributor_order_ids"])
