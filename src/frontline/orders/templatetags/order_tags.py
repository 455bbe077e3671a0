"""Small display helpers of the order pages."""

from __future__ import annotations

from django import template

from frontline.orders.choices import OrderStatus

register = template.Library()

STATUS_TONES = {
    OrderStatus.PENDING: "secondary",
    OrderStatus.CONFIRMED: "primary",
    OrderStatus.PROCESSING: "primary",
    OrderStatus.PARTIALLY_SHIPPED: "info",
    OrderStatus.SHIPPED: "info",
    OrderStatus.DELIVERED: "success",
    OrderStatus.COMPLETED: "success",
    OrderStatus.ON_HOLD: "warning",
    OrderStatus.CANCELLED: "dark",
    OrderStatus.RETURNED: "dark",
}


@register.filter
def order_status_tone(status: str) -> str:
    """The Bootstrap colour of an order status badge."""
    return STATUS_TONES.get(status, "secondary")  # type: ignore[call-overload]
