"""The demo seeder: every scenario, exceptions from the rules, idempotent."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine

from frontline.shipping.demo import seed_shipping
from frontline.shipping.models import Carrier, DeliveryException, ProofOfDelivery, Shipment

from . import factories as f

pytestmark = pytest.mark.django_db


def test_seed_shipping_plays_every_scenario_through_the_rules():
    with time_machine.travel(datetime(2026, 5, 12, 12, tzinfo=UTC), tick=False):
        orders = [f.order().pk for _ in range(7)]
        result = seed_shipping(orders=orders)
        again = seed_shipping(orders=orders)
    assert set(Carrier.objects.values_list("code", flat=True)) == {"ups", "dhl_express", "dpd", "fedex"}
    assert result["shipments"] == 7 and again["shipments"] == 0
    assert sorted(Shipment.objects.values_list("status", flat=True)) == sorted(
        ["delivered", "in_transit", "delayed", "in_transit", "failed_attempt", "exception", "label_created"]
    )
    assert ProofOfDelivery.objects.count() == 1
    kinds = set(DeliveryException.objects.filter(resolved_at__isnull=True).values_list("rule_id", "kind"))
    assert {
        ("R1", "damaged"),
        ("R1", "failed_attempt"),
        ("R2", "delayed"),
        ("R3", "eta_slip"),
        ("R5", "stalled"),
        ("R6", "not_picked_up"),
    } <= kinds
    assert seed_shipping(orders=None)["shipments"] == 0
