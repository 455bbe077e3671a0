"""Badges for availability states and inbound statuses on the stock pages."""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from frontline.catalog.choices import Availability, InboundStatus, StockSource

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


@register.filter
def stock_source_label(source: str) -> str:
    """ "wms" -> "Warehouse system": where a stock figure came from, in words."""
    try:
        return str(StockSource(source).label)
    except ValueError:
        return source


@register.filter
def available_figure(available: int) -> SafeString:
    """Units free to promise; when more is reserved than on hand, 0 and how many are short."""
    if available >= 0:
        return format_html("{}", available)
    return format_html(
        '0 <span class="badge text-bg-danger" title="{}">{}</span>',
        _("Reserved for orders beyond the stock on hand"),
        _("%(n)s short") % {"n": -available},
    )
