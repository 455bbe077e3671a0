"""Orders and their lines. Data rules only; every write is in services.py."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from frontline.catalog.models import Product, Warehouse
from frontline.core.models import TimeStampedModel
from frontline.customers.models import Customer, Organisation

from .choices import FINAL_STATUSES, OPEN_STATUSES, HoldReason, LineStatus, OrderChannel, OrderStatus


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
        permissions = [("import_order", "Can import orders")]
        indexes = [
            models.Index(fields=["-placed_at", "-id"], name="order_placed_idx"),
            models.Index(fields=["customer", "-placed_at"], name="order_customer_idx"),
            models.Index(fields=["status", "-placed_at"], name="order_status_idx"),
            models.Index(fields=["email"], name="order_email_idx"),
            models.Index(fields=["phone"], name="order_phone_idx"),
        ]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return reverse("orders:order_detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        """Goods still to leave the warehouse: holds may be placed, the order may be cancelled."""
        return self.status in OPEN_STATUSES

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES

    def can_hold(self) -> bool:
        return self.status in OPEN_STATUSES or self.status == OrderStatus.PARTIALLY_SHIPPED

    def can_cancel(self) -> bool:
        return self.status in OPEN_STATUSES


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


class OrderHold(models.Model):
    """Why an order may not ship yet, until when, and who placed and released it.

    An out-of-stock hold names the inbound restock it waits for: ``inbound_id`` is the id of a
    ``catalog.InboundShipment`` (a plain integer until that model lands; it becomes a foreign
    key then) and ``inbound_reference`` its PO/ASN number as text; ``expected_release_date`` is
    that shipment's expected date. ``status_before`` is the status the order returns to when
    its last active hold is released.
    """

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="holds")
    line = models.ForeignKey(
        OrderLine,
        verbose_name=_("line"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="holds",
        help_text=_("The line waiting for stock, for an out-of-stock hold."),
    )
    reason = models.CharField(_("reason"), max_length=20, choices=HoldReason.choices)
    note = models.CharField(_("note"), max_length=500, blank=True)
    placed_at = models.DateTimeField(_("placed"))
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    expected_release_date = models.DateField(_("expected release"), null=True, blank=True)
    inbound_id = models.PositiveBigIntegerField(_("inbound shipment id"), null=True, blank=True)
    inbound_reference = models.CharField(_("inbound shipment"), max_length=100, blank=True)
    status_before = models.CharField(max_length=20, choices=OrderStatus.choices)
    released_at = models.DateTimeField(_("released"), null=True, blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    release_note = models.CharField(_("release note"), max_length=500, blank=True)

    class Meta:
        ordering = ["-placed_at", "-id"]
        indexes = [
            models.Index(fields=["order", "-placed_at"], name="orderhold_order_idx"),
            models.Index(
                fields=["inbound_id"], condition=Q(released_at__isnull=True), name="orderhold_inbound_idx"
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["order", "reason"],
                condition=Q(released_at__isnull=True),
                name="orderhold_one_active_per_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.reason}"

    @property
    def is_active(self) -> bool:
        return self.released_at is None


class AppendOnlyError(Exception):
    pass


class StatusChangeQuerySet(models.QuerySet["OrderStatusChange"]):
    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyError("Order status history cannot be updated.")


class OrderStatusChange(models.Model):
    """The append-only history of an order's status, written by the services only."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=20, choices=OrderStatus.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=OrderStatus.choices)
    at = models.DateTimeField()
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    by_label = models.CharField(max_length=150, blank=True)
    reason = models.CharField(max_length=500, blank=True)

    objects = StatusChangeQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["order", "-at", "-id"], name="orderstatus_order_idx")]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.from_status or '-'} -> {self.to_status}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise AppendOnlyError("Order status history cannot be updated.")
        super().save(*args, **kwargs)
