"""Products, warehouses and stock levels. Data rules only; every write is in services.py."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from frontline.core.models import TimeStampedModel

from .choices import StockSource, WarehouseKind


class Warehouse(TimeStampedModel):
    """A place stock ships from. Its cut-off time and handling days are its shipping queue."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(
        _("kind"), max_length=10, choices=WarehouseKind.choices, default=WarehouseKind.OWN
    )
    address = models.JSONField(_("address"), default=dict, blank=True)
    country = models.CharField(_("country"), max_length=2, blank=True)
    timezone = models.CharField(_("time zone"), max_length=64, default="Europe/Berlin")
    cutoff_time = models.TimeField(
        _("order cut-off"), default="14:00", help_text=_("Orders placed before this local time ship today.")
    )
    handling_days = models.PositiveSmallIntegerField(
        _("handling days"), default=1, help_text=_("Business days from release to hand-over to the carrier.")
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Product(TimeStampedModel):
    sku = models.CharField(_("SKU"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=255)
    description = models.TextField(_("description"), blank=True)
    category = models.CharField(_("category"), max_length=100, blank=True, db_index=True)
    barcode = models.CharField(_("barcode (GTIN/EAN)"), max_length=32, blank=True, db_index=True)
    attributes = models.JSONField(_("attributes"), default=dict, blank=True)
    price = models.DecimalField(_("price"), max_digits=12, decimal_places=2, default=0)
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    image = models.ImageField(_("image"), upload_to="products/%Y/%m/", blank=True)
    low_stock_threshold = models.PositiveIntegerField(
        _("low-stock threshold"), default=5, help_text=_("At or below this many available, stock is low.")
    )
    allow_backorder = models.BooleanField(_("allow backorder"), default=False)
    supplier_lead_time_days = models.PositiveSmallIntegerField(_("supplier lead time (days)"), default=14)
    discontinued_at = models.DateTimeField(_("discontinued"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["sku"]
        indexes = [models.Index(fields=["name"], name="product_name_idx")]

    def __str__(self) -> str:
        return f"{self.sku} {self.name}"

    @property
    def is_discontinued(self) -> bool:
        return self.discontinued_at is not None


class StockLevel(models.Model):
    """One product in one warehouse. ``available`` = on hand - reserved; ``forecast`` = on hand +
    incoming - outgoing. Rebuilt from the movement ledger; written only by services."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="stock_levels")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.CASCADE, related_name="stock_levels")
    on_hand = models.IntegerField(_("on hand"), default=0)
    reserved = models.IntegerField(_("reserved"), default=0)
    incoming = models.IntegerField(_("incoming"), default=0)
    outgoing = models.IntegerField(_("outgoing"), default=0)
    low_stock_threshold = models.PositiveIntegerField(
        _("low-stock threshold"), null=True, blank=True, help_text=_("Overrides the product's threshold.")
    )
    source = models.CharField(
        _("source"), max_length=10, choices=StockSource.choices, default=StockSource.FRONTLINE
    )
    source_synced_at = models.DateTimeField(_("figure as of"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["product", "warehouse"], name="stocklevel_product_warehouse_uniq"
            ),
            models.CheckConstraint(condition=Q(reserved__gte=0), name="stocklevel_reserved_nonneg"),
        ]
        indexes = [models.Index(fields=["warehouse", "product"], name="stocklevel_warehouse_idx")]

    def __str__(self) -> str:
        return f"{self.product_id}@{self.warehouse_id}: {self.on_hand}"

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved

    @property
    def forecast(self) -> int:
        return self.on_hand + self.incoming - self.outgoing
