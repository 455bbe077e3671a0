"""The catalog demo data: the seed-000 scenarios hold, ids are returned, a rerun changes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from frontline.catalog import selectors, services
from frontline.catalog.choices import Availability
from frontline.catalog.demo import seed_catalog
from frontline.catalog.models import BackorderPeriod, Product, StockLevel, StockMovement

pytestmark = pytest.mark.django_db


def test_seed_catalog_demo_scenarios():
    keys = seed_catalog(scale="demo")
    assert set(keys["warehouses"]) == {"BER", "RTM", "POZ", "RNO"}
    assert keys["products"] == Product.objects.count() == 300
    today = timezone.localdate()

    headphones = selectors.product_detail(product_id=keys["headphones"])
    assert headphones.availability.state == Availability.LOW_STOCK
    assert headphones.availability.available == 24 and headphones.availability.shippable_now
    assert headphones.availability.promise.delivery_date is not None

    laptop = selectors.product_detail(product_id=keys["laptop"])
    assert laptop.availability.available == 0
    assert laptop.availability.state == Availability.BACKORDER  # out of stock, restock on its way
    assert laptop.availability.restock.date == today + timedelta(days=2)
    assert laptop.availability.restock.quantity == 20
    assert laptop.availability.restock.inbound_ids == (keys["laptop_inbound"],)

    accessory = selectors.product_detail(product_id=keys["accessory"])
    overall = BackorderPeriod.objects.filter(product_id=keys["accessory"], warehouse=None)
    assert overall.filter(ended_at__isnull=False).count() == 3
    assert overall.filter(ended_at=None).count() == 1
    assert accessory.availability.state == Availability.BACKORDER and accessory.backorders.is_open
    assert accessory.backorders.count_90_days == 4

    # the ledger explains every figure
    assert services.stock_levels_rebuild() == 0
    assert StockLevel.objects.count() > 300 and StockMovement.objects.exists()


def test_seed_catalog_is_idempotent_and_deterministic():
    first = seed_catalog(scale="demo")
    names = list(Product.objects.order_by("sku").values_list("sku", "name", "barcode")[:20])
    assert seed_catalog(scale="demo") == first
    assert Product.objects.count() == 300
    assert {"AS-X2-BLK", "TG15-16-512", "PS-NOVA12-CASE"} <= set(
        Product.objects.values_list("sku", flat=True)
    )
    assert list(Product.objects.order_by("sku").values_list("sku", "name", "barcode")[:20]) == names


def test_unknown_scale():
    with pytest.raises(ValueError):
        seed_catalog(scale="xl")
