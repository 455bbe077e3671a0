from django.db import models
from django.utils.translation import gettext_lazy as _


class WarehouseKind(models.TextChoices):
    OWN = "own", _("Own warehouse")
    THREE_PL = "3pl", _("Logistics partner (3PL)")
    STORE = "store", _("Store")
    DROPSHIP = "dropship", _("Drop-ship supplier")


class Availability(models.TextChoices):
    """What an agent (and the tracking page) is told about a product, per warehouse or overall."""

    IN_STOCK = "in_stock", _("In stock")
    LOW_STOCK = "low_stock", _("Low stock")
    OUT_OF_STOCK = "out_of_stock", _("Out of stock")
    BACKORDER = "backorder", _("Backorder")
    DISCONTINUED = "discontinued", _("Discontinued")


class StockSource(models.TextChoices):
    """Where a stock figure came from (figures from an ERP/WMS go stale: agents see their age)."""

    FRONTLINE = "frontline", _("Frontline")
    IMPORT = "import", _("Import")
    ERP = "erp", _("ERP")
    WMS = "wms", _("Warehouse system")


class MovementKind(models.TextChoices):
    """Why stock moved. ``reservation``/``release`` change only the reserved figure."""

    RECEIPT = "receipt", _("Receipt")
    SHIPMENT = "shipment", _("Shipment")
    ADJUSTMENT = "adjustment", _("Adjustment")
    COUNT = "count", _("Count")
    TRANSFER = "transfer", _("Transfer")
    RETURN = "return", _("Return")
    RESERVATION = "reservation", _("Reservation")
    RELEASE = "release", _("Release")


class InboundStatus(models.TextChoices):
    """A restock on its way (purchase order / advance ship notice), as in the reference §5.1."""

    DRAFT = "draft", _("Draft")
    ORDERED = "ordered", _("Ordered")
    IN_TRANSIT = "in_transit", _("In transit")
    PARTIALLY_RECEIVED = "partially_received", _("Partially received")
    RECEIVED = "received", _("Received")
    ON_HOLD = "on_hold", _("On hold")
    CANCELLED = "cancelled", _("Cancelled")
    LOST = "lost", _("Lost")


#: Inbound statuses whose remaining quantities count as incoming stock (and a restock date).
OPEN_INBOUND = frozenset(
    {InboundStatus.ORDERED, InboundStatus.IN_TRANSIT, InboundStatus.PARTIALLY_RECEIVED, InboundStatus.ON_HOLD}
)
