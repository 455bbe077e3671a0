"""Factories for the orders tests: products and warehouses straight into the catalog tables
(the catalog's own services are not ours to call here), orders through ``services.order_create``
so they have their history, audit row and timeline entry like real ones."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import factory
from django.utils import timezone

from frontline.catalog.models import Product, Warehouse
from frontline.customers.tests.factories import PASSWORD, CustomerFactory, UserFactory
from frontline.orders import services
from frontline.orders.models import Order
from frontline.orders.services import OrderInput, OrderLineInput

__all__ = ["PASSWORD", "CustomerFactory", "OrderFactory", "UserFactory", "product", "warehouse"]


def warehouse(code: str = "BER", handling_days: int = 1) -> Warehouse:
    return Warehouse.objects.get_or_create(
        code=code, defaults={"name": f"Warehouse {code}", "handling_days": handling_days}
    )[0]


def product(sku: str, name: str = "", price: str = "10.00") -> Product:
    return Product.objects.get_or_create(
        sku=sku, defaults={"name": name or f"Product {sku}", "price": Decimal(price)}
    )[0]


class OrderFactory(factory.Factory[Order]):
    """``OrderFactory(customer=c, lines=[("TG15", 1)])``: lines as (sku, quantity[, price])."""

    class Meta:
        model = dict

    number = factory.Sequence(lambda n: f"{10000 + n}")
    customer: Any = None
    lines: Any = factory.LazyFunction(lambda: [("AS-X2-BLK", 1)])
    status = "confirmed"
    placed_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=1))
    email = ""
    phone = ""
    by = None
    shipping_total = Decimal("4.90")

    @classmethod
    def _create(cls, model_class: Any, *args: Any, **kwargs: Any) -> Order:
        customer = kwargs.pop("customer") or CustomerFactory()
        lines = []
        for spec in kwargs.pop("lines"):
            sku, quantity = spec[0], spec[1]
            price = Decimal(spec[2]) if len(spec) > 2 else None
            product(sku)
            lines.append(OrderLineInput(sku=sku, quantity=quantity, unit_price=price))
        by = kwargs.pop("by")
        data = OrderInput(customer_id=customer.pk, lines=lines, **kwargs)
        return services.order_create(by=by, data=data)
