"""Badges for shipment statuses and exception severities."""

from django import template

from frontline.shipping.choices import Severity, ShipmentStatus

register = template.Library()

S = ShipmentStatus
TONES = {
    S.LABEL_CREATED: "secondary",
    S.PICKED_UP: "info",
    S.IN_TRANSIT: "info",
    S.OUT_FOR_DELIVERY: "primary",
    S.AVAILABLE_FOR_PICKUP: "primary",
    S.DELIVERED: "success",
    S.FAILED_ATTEMPT: "warning",
    S.EXCEPTION: "danger",
    S.DELAYED: "warning",
    S.RETURNING: "danger",
    S.RETURNED: "dark",
    S.CANCELLED: "secondary",
    S.UNKNOWN: "light",
}
SEVERITY_TONES = {Severity.HIGH: "danger", Severity.MEDIUM: "warning", Severity.LOW: "secondary"}


@register.filter
def status_tone(status: str) -> str:
    return TONES.get(status, "secondary")  # type: ignore[call-overload]


@register.filter
def severity_tone(severity: str) -> str:
    return SEVERITY_TONES.get(severity, "secondary")  # type: ignore[call-overload]


@register.filter
def status_label(status: str) -> str:
    return str(ShipmentStatus(status).label) if status in ShipmentStatus.values else status
