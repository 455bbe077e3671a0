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
