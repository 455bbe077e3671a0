"""Products, warehouses, stock levels, the movement ledger, inbound restocks, backorder history
and transit times. Data rules only; every write is in services.py."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from frontline.core.models import TimeStampedModel

from .choices import OPEN_INBOUND, InboundStatus, MovementKind, StockSource, WarehouseKind


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
        # SKU/barcode prefix search uses the indexes of their unique/db_index (on PostgreSQL
        # Django adds a varchar_pattern_ops "_like" index for LIKE 'abc%').
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


class StockMovement(models.Model):
    """One change of stock, append-only. ``delta`` changes on hand, ``reserved_delta`` the
    reserved figure; summing both per product and warehouse rebuilds the stock levels."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="movements")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.CASCADE, related_name="movements")
    kind = models.CharField(_("kind"), max_length=12, choices=MovementKind.choices)
    delta = models.IntegerField(_("change on hand"), default=0)
    reserved_delta = models.IntegerField(_("change reserved"), default=0)
    reference = models.CharField(
        _("reference"), max_length=100, blank=True, help_text=_("Order, inbound shipment, count sheet...")
    )
    note = models.CharField(_("note"), max_length=500, blank=True)
    occurred_at = models.DateTimeField(_("occurred"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["product", "warehouse", "id"], name="movement_product_idx"),
            models.Index(fields=["reference"], name="movement_reference_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.delta:+d} of {self.product_id}@{self.warehouse_id}"


class InboundShipment(TimeStampedModel):
    """A restock on its way: a purchase order or advance ship notice to one warehouse.

    ``original_expected_date`` is the first promise; ``expected_date`` the current one, so slips
    are visible. ``carrier_code``/``tracking_number`` are plain text: the shipping app may track
    them, catalog does not depend on it."""

    reference = models.CharField(_("reference (PO/ASN)"), max_length=64, unique=True)
    supplier = models.CharField(_("supplier"), max_length=200, blank=True)
    supplier_reference = models.CharField(_("supplier reference"), max_length=100, blank=True)
    warehouse = models.ForeignKey(
        Warehouse, verbose_name=_("destination"), on_delete=models.PROTECT, related_name="inbound_shipments"
    )
    status = models.CharField(
        _("status"), max_length=20, choices=InboundStatus.choices, default=InboundStatus.ORDERED
    )
    expected_date = models.DateField(_("expected arrival"), null=True, blank=True)
    original_expected_date = models.DateField(_("originally expected"), null=True, blank=True)
    carrier_code = models.CharField(_("carrier"), max_length=50, blank=True)
    tracking_number = models.CharField(_("tracking number"), max_length=100, blank=True, db_index=True)
    received_at = models.DateTimeField(_("received"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["expected_date", "id"]
        indexes = [models.Index(fields=["status", "expected_date"], name="inbound_status_date_idx")]

    def __str__(self) -> str:
        return self.reference

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_INBOUND

    @property
    def slip_days(self) -> int:
        """Days the expected date moved since the first promise (positive: later)."""
        if self.expected_date and self.original_expected_date:
            return (self.expected_date - self.original_expected_date).days
        return 0

    def can_receive(self) -> bool:
        return self.status in OPEN_INBOUND


class InboundShipmentLine(models.Model):
    inbound = models.ForeignKey(InboundShipment, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="inbound_lines")
    quantity_ordered = models.PositiveIntegerField(_("ordered"))
    quantity_received = models.PositiveIntegerField(_("received"), default=0)
    expected_date = models.DateField(
        _("expected arrival"), null=True, blank=True, help_text=_("Blank: the shipment's date.")
    )

    class Meta:
        ordering = ["inbound", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity_received__lte=models.F("quantity_ordered")),
                name="inboundline_received_lte_ordered",
            ),
            models.CheckConstraint(condition=Q(quantity_ordered__gt=0), name="inboundline_ordered_positive"),
        ]
        indexes = [models.Index(fields=["product", "inbound"], name="inboundline_product_idx")]

    def __str__(self) -> str:
        return f"{self.inbound_id}: {self.quantity_ordered} x {self.product_id}"

    @property
    def remaining(self) -> int:
        return self.quantity_ordered - self.quantity_received

    def effective_expected_date(self) -> date | None:
        return self.expected_date or self.inbound.expected_date


class BackorderPeriod(models.Model):
    """A stretch of time a product could not be shipped (available <= 0): per warehouse, or
    overall when ``warehouse`` is null. Open while ``ended_at`` is null."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="backorder_periods")
    warehouse = models.ForeignKey(
        Warehouse, null=True, blank=True, on_delete=models.CASCADE, related_name="backorder_periods"
    )
    started_at = models.DateTimeField(_("started"))
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["product", "warehouse", "ended_at"], name="backorder_product_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["product", "warehouse"],
                condition=Q(ended_at__isnull=True, warehouse__isnull=False),
                name="backorder_one_open_per_warehouse",
            ),
            models.UniqueConstraint(
                fields=["product"],
                condition=Q(ended_at__isnull=True, warehouse__isnull=True),
                name="backorder_one_open_overall",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product_id}@{self.warehouse_id or '*'} from {self.started_at:%Y-%m-%d}"


class TransitTime(models.Model):
    """How many business days a carrier service takes from a warehouse to a country.
    An empty ``country`` is the fallback for every other destination."""

    warehouse = models.ForeignKey(Warehouse, on_delete=models.CASCADE, related_name="transit_times")
    carrier_code = models.CharField(_("carrier"), max_length=50)
    service = models.CharField(_("service"), max_length=50, blank=True)
    country = models.CharField(_("destination country"), max_length=2, blank=True)
    business_days = models.PositiveSmallIntegerField(_("business days"))
    is_default = models.BooleanField(
        _("default"), default=False, help_text=_("Used for estimates when no carrier is chosen.")
    )

    class Meta:
        ordering = ["warehouse", "country", "business_days"]
        constraints = [
            models.UniqueConstraint(
                fields=["warehouse", "carrier_code", "service", "country"], name="transit_time_uniq"
            )
        ]

    def __str__(self) -> str:
        return f"{self.warehouse_id} {self.carrier_code}/{self.service} -> {self.country or '*'}: {self.business_days}d"
