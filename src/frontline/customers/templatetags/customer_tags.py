"""Small display helpers for the customer pages."""

from __future__ import annotations

from typing import Any

from django import template

from ..choices import ContactKind, Direction, InteractionKind
from ..selectors import primary_value

register = template.Library()

_INTERACTION_ICONS = {
    InteractionKind.NOTE: "sticky",
    InteractionKind.CALL: "telephone",
    InteractionKind.EMAIL: "envelope",
    InteractionKind.CHAT: "chat-dots",
    InteractionKind.SOCIAL: "at",
    InteractionKind.MEETING: "people",
    InteractionKind.CASE: "life-preserver",
    InteractionKind.MESSAGE: "chat-left-text",
    InteractionKind.ORDER: "bag",
    InteractionKind.SHIPMENT: "truck",
    InteractionKind.LOYALTY: "star",
    InteractionKind.PROFILE: "person-lines-fill",
    InteractionKind.MERGE: "intersect",
    InteractionKind.SYSTEM: "gear",
}
_CONTACT_ICONS = {ContactKind.EMAIL: "envelope", ContactKind.PHONE: "telephone", ContactKind.SOCIAL: "at"}
_DIRECTION_ICONS = {Direction.INBOUND: "box-arrow-in-down-right", Direction.OUTBOUND: "box-arrow-up-right"}


@register.filter
def primary(customer: Any, kind: str) -> str:
    """``{{ customer|primary:"email" }}``: the primary email/phone (prefetched by the selector)."""
    return primary_value(customer, kind)


@register.filter
def interaction_icon(kind: str) -> str:
    return _INTERACTION_ICONS.get(kind, "dot")  # type: ignore[call-overload]


@register.filter
def contact_icon(kind: str) -> str:
    return _CONTACT_ICONS.get(kind, "dot")  # type: ignore[call-overload]


@register.filter
def direction_icon(direction: str) -> str:
    return _DIRECTION_ICONS.get(direction, "")  # type: ignore[call-overload]


@register.filter
def audit_summary(entry: Any) -> str:
    """One line about what an audit entry changed: the changed fields, or the data keys."""
    data = entry.data or {}
    if isinstance(data.get("changes"), dict):
        return ", ".join(sorted(data["changes"]))
    parts = []
    for key in ("kind", "value", "system", "address", "merged_id", "reason"):
        if data.get(key) not in (None, ""):
            parts.append(f"{key}: {data[key]}")
    return "; ".join(parts)
