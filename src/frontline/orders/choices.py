from django.db import models
from django.utils.translation import gettext_lazy as _


class OrderStatus(models.TextChoices):
    """Reference §5.2. SHIPPED, PARTIALLY_SHIPPED and DELIVERED derive from the shipments."""

    PENDING = "pending", _("Pending")
    CONFIRMED = "confirmed", _("Confirmed")
    PROCESSING = "processing", _("Processing")
    PARTIALLY_SHIPPED = "partially_shipped", _("Partially shipped")
    SHIPPED = "shipped", _("Shipped")
    DELIVERED = "delivered", _("Delivered")
    COMPLETED = "completed", _("Completed")
    ON_HOLD = "on_hold", _("On hold")
    CANCELLED = "cancelled", _("Cancelled")
    RETURNED = "returned", _("Returned")


class OrderChannel(models.TextChoices):
    WEB = "web", _("Web shop")
    MARKETPLACE = "marketplace", _("Marketplace")
    PHONE = "phone", _("Phone")
    B2B = "b2b", _("B2B portal")
    EDI = "edi", _("EDI")


class LineStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    ALLOCATED = "allocated", _("Allocated")
    PARTIALLY_ALLOCATED = "partially_allocated", _("Partially allocated")
    BACKORDERED = "backordered", _("Backordered")
    PARTIALLY_SHIPPED = "partially_shipped", _("Partially shipped")
    SHIPPED = "shipped", _("Shipped")
    CANCELLED = "cancelled", _("Cancelled")
    RETURNED = "returned", _("Returned")


class HoldReason(models.TextChoices):
    OUT_OF_STOCK = "out_of_stock", _("Out of stock")
    PAYMENT = "payment", _("Payment")
    ADDRESS = "address", _("Address")
    FRAUD_CHECK = "fraud_check", _("Fraud check")
    OTHER = "other", _("Other")


#: Statuses an order can be in while its goods are still to leave the warehouse.
OPEN_STATUSES = frozenset(
    {OrderStatus.PENDING, OrderStatus.CONFIRMED, OrderStatus.PROCESSING, OrderStatus.ON_HOLD}
)
#: Statuses in which nothing more happens to the order.
FINAL_STATUSES = frozenset(
    {OrderStatus.DELIVERED, OrderStatus.COMPLETED, OrderStatus.CANCELLED, OrderStatus.RETURNED}
)
