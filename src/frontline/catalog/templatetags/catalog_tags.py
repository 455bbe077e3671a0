"""Badges for availability states and inbound statuses on the stock pages."""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from frontline.catalog.choices import Availability, InboundStatus

register = template.Library()

_TONES = {
    Availability.IN_STOCK: ("success", "check-circle"),
    Availability.LOW_STOCK: ("warning", "exclamation-triangle"),
    Availability.OUT_OF_STOCK: ("danger", "x-circle"),
    Availability.BACKORDER: ("info", "hourglass-split"),
    Availability.DISCONTINUED: ("secondary", "slash-circle"),
}
_INBOUND_TONES = {
    InboundStatus.DRAFT: "light",
    InboundStatus.ORDERED: "primary",
    InboundStatus.IN_TRANSIT: "info",
    InboundStatus.PARTIALLY_RECEIVED: "warning",
    InboundStatus.RECEIVED: "success",
    InboundStatus.ON_HOLD: "secondary",
    InboundStatus.CANCELLED: "dark",
    InboundStatus.LOST: "danger",
}


@register.simple_tag
def availability_badge(state: str) -> SafeString:
    tone, icon = _TONES.get(Availability(state), ("secondary", "question-circle"))
    text_class = "text-bg-warning" if tone == "warning" else f"text-bg-{tone}"
    return format_html(
        '<span class="badge {}"><i class="bi bi-{}" aria-hidden="true"></i> {}</span>',
        text_class,
        icon,
        Availability(state).label,
    )


@register.simple_tag
def inbound_badge(status: str) -> SafeString:
    return format_html(
        '<span class="badge text-bg-{}">{}</span>',
        _INBOUND_TONES.get(InboundStatus(status), "secondary"),
        InboundStatus(status).label,
    )
