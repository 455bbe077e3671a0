"""Test data for the catalog: warehouses, products and stock, made through the services."""

from __future__ import annotations

import itertools
from datetime import time
from typing import Any

from frontline.accounts.tests.factories import PASSWORD, UserFactory
from frontline.catalog import services
from frontline.catalog.models import Product, Warehouse

__all__ = ["PASSWORD", "UserFactory", "make_product", "make_warehouse", "stock"]

_counter = itertools.count(1)


def make_warehouse(code: str = "", **kwargs: Any) -> Warehouse:
    n = next(_counter)
    values: dict[str, Any] = {
        "name": f"Warehouse {n}",
        "country": "DE",
        "timezone_name": "Europe/Berlin",
        "cutoff_time": time(14, 0),
        "handling_days": 0,
    }
    values.update(kwargs)
    return services.warehouse_create(code=code or f"W{n}", by=None, **values)


def make_product(sku: str = "", **kwargs: Any) -> Product:
    n = next(_counter)
    values: dict[str, Any] = {"name": f"Product {n}", "low_stock_threshold": 5}
    values.update(kwargs)
    return services.product_create(data=services.ProductInput(sku=sku or f"SKU-{n:05d}", **values), by=None)


def stock(product: Product, warehouse: Warehouse, on_hand: int) -> None:
    services.stock_count(product_id=product.pk, warehouse_id=warehouse.pk, counted=on_hand, by=None)
