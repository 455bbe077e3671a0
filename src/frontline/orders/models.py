"""Orders and their lines. Data rules only; every write is in services.py."""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

from frontline.catalog.models import Product, Warehouse
from frontline.core.models import TimeStampedModel
from frontline.customers.models import Customer, Organisation

from .choices import LineStatus, OrderChannel, OrderStatus


class Order(TimeStampedModel):
    number = models.CharField(_("order number"), max_length=40, unique=True)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="orders")
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.SET_NULL, related_name="orders"
    )
    channel = models.CharField(
        _("channel"), max_length=12, choices=OrderChannel.choices, default=OrderChannel.WEB
    )
    placed_at = models.DateTimeField(_("placed"))
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    subtotal = models.DecimalField(_("subtotal"), max_digits=12, decimal_places=2, default=0)
    shipping_total = models.DecimalField(_("shipping"), max_digits=12, decimal_places=2, default=0)
    tax_total = models.DecimalField(_("tax"), max_digits=12, decimal_places=2, default=0)
    total = models.DecimalField(_("total"), max_digits=12, decimal_places=2, default=0)
    email = models.EmailField(_("order email"), blank=True, help_text=_("As given at checkout."))
    phone = models.CharField(_("order phone"), max_length=40, blank=True)
    shipping_address = models.JSONField(_("shipping address"), default=dict, blank=True)
    billing_address = models.JSONField(_("billing address"), default=dict, blank=True)
    shipping_postal_code = models.CharField(_("shipping postal code"), max_length=20, blank=True)
    promised_delivery_date = models.DateField(_("promised delivery"), null=True, blank=True)
    external_ref = models.CharField(_("external reference"), max_length=100, blank=True, db_index=True)
    status = models.CharField(
        _("status"), max_length=20, choices=OrderStatus.choices, default=OrderStatus.PENDING
    )

    class Meta:
        ordering = ["-placed_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "-placed_at"], name="order_customer_idx"),
            models.Index(fields=["status", "-placed_at"], name="order_status_idx"),
            models.Index(fields=["email"], name="order_email_idx"),
            models.Index(fields=["phone"], name="order_phone_idx"),
        ]

    def __str__(self) -> str:
        return self.number


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(
        Product, null=True, blank=True, on_delete=models.PROTECT, related_name="order_lines"
    )
    sku = models.CharField(_("SKU"), max_length=64)
    name = models.CharField(_("name"), max_length=255)
    quantity = models.PositiveIntegerField(_("quantity"))
    unit_price = models.DecimalField(_("unit price"), max_digits=12, decimal_places=2, default=0)
    quantity_allocated = models.PositiveIntegerField(_("allocated"), default=0)
    quantity_shipped = models.PositiveIntegerField(_("shipped"), default=0)
    quantity_backordered = models.PositiveIntegerField(_("backordered"), default=0)
    source_warehouse = models.ForeignKey(
        Warehouse, null=True, blank=True, on_delete=models.SET_NULL, related_name="order_lines"
    )
    expected_ship_date = models.DateField(_("expected ship date"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=LineStatus.choices, default=LineStatus.PENDING
    )

    class Meta:
        ordering = ["order", "id"]
        indexes = [models.Index(fields=["product", "status"], name="orderline_product_idx")]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.quantity} x {self.sku}"

    @property
    def line_total(self) -> Decimal:
        return self.unit_price * self.quantity
