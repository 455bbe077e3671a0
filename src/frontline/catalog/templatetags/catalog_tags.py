"""Badges for availability states and inbound statuses on the stock pages, and the pieces of the
stock results' row links."""

from __future__ import annotations

import functools
from datetime import date, datetime
from typing import Any, TypedDict
from urllib.parse import quote

from django import template
from django.template.defaultfilters import date as date_filter
from django.utils import formats
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
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


#: Rendered badges by (state, language): a results page shows the same few on every row.
_badges: dict[tuple[str, str | None], SafeString] = {}


@register.simple_tag
def availability_badge(state: str) -> SafeString:
    key = (state, get_language())
    badge = _badges.get(key)
    if badge is None:
        tone, icon = _TONES.get(Availability(state), ("secondary", "question-circle"))
        text_class = "text-bg-warning" if tone == "warning" else f"text-bg-{tone}"
        badge = _badges[key] = format_html(
            '<span class="badge {}"><i class="bi bi-{}" aria-hidden="true"></i> {}</span>',
            text_class,
            icon,
            Availability(state).label,
        )
    return badge


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
        return SafeString(str(int(available)))  # digits only
    return format_html(
        '0 <span class="badge text-bg-danger" title="{}">{}</span>',
        _("Reserved for orders beyond the stock on hand"),
        _("%(n)s short") % {"n": -available},
    )


class LinkParts(TypedDict):
    """A stock results row's link is ``?{before}{product id}{after}``: the search and the
    destination country around the product, escaped for an attribute."""

    before: SafeString
    after: SafeString


@register.simple_tag
def stock_link_parts(query: str, country: str) -> LinkParts:
    before = f"q={escape(quote(query))}&amp;product=" if query else "product="
    after = f"&amp;country={escape(country)}" if country else ""
    return LinkParts(before=mark_safe(before), after=mark_safe(after))  # both escaped above


@register.filter(expects_localtime=True)
def day_label(value: Any, arg: str) -> str:
    """``value|date:arg``, remembered for dates: a page of results repeats a few ship dates."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return _day_label(value, arg, get_language())
    return str(date_filter(value, arg))


@functools.lru_cache(maxsize=512)
def _day_label(value: date, arg: str, language: str | None) -> str:
    return formats.date_format(value, arg)
