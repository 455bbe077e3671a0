"""Display helpers of the case page: badges, message bodies with @mentions, durations, icons."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from ..choices import Priority, StatusCategory

register = template.Library()

# The services' mention syntax (services.MENTION), applied to escaped text: usernames contain
# no character that escaping changes.
_MENTION = re.compile(r"(?<![\w@.])@([\w.+-]{2,150})")

_STATUS_CLASSES = {
    StatusCategory.NEW: "text-bg-info",
    StatusCategory.OPEN: "text-bg-primary",
    StatusCategory.PENDING_CUSTOMER: "text-bg-warning",
    StatusCategory.ON_HOLD: "text-bg-secondary",
    StatusCategory.RESOLVED: "text-bg-success",
    StatusCategory.CLOSED: "text-bg-dark",
}
_PRIORITY_CLASSES = {
    Priority.LOW: "text-bg-light border",
    Priority.NORMAL: "text-bg-light border",
    Priority.HIGH: "text-bg-warning",
    Priority.URGENT: "text-bg-danger",
}
_PRIORITY_ICONS = {
    Priority.LOW: "arrow-down",
    Priority.NORMAL: "dash",
    Priority.HIGH: "arrow-up",
    Priority.URGENT: "exclamation-triangle-fill",
}
_CHANNEL_ICONS = {
    "email": "envelope",
    "phone": "telephone",
    "chat": "chat-dots",
    "portal": "window",
    "social": "at",
    "sms": "phone",
    "web": "globe",
    "in_person": "person",
    "system": "gear",
}


@register.filter
def status_class(category: str) -> str:
    return _STATUS_CLASSES.get(category, "text-bg-secondary")  # type: ignore[call-overload]


@register.filter
def priority_class(priority: str) -> str:
    return _PRIORITY_CLASSES.get(priority, "text-bg-light border")  # type: ignore[call-overload]


@register.filter
def priority_icon(priority: str) -> str:
    return _PRIORITY_ICONS.get(priority, "dash")  # type: ignore[call-overload]


@register.filter
def channel_icon(channel: str) -> str:
    return _CHANNEL_ICONS.get(channel, "chat-left")


@register.filter
def file_icon(content_type: str) -> str:
    kind = (content_type or "").lower()
    if kind.startswith("image/"):
        return "file-earmark-image"
    if kind == "application/pdf":
        return "file-earmark-pdf"
    if "spreadsheet" in kind or "excel" in kind or kind == "text/csv":
        return "file-earmark-spreadsheet"
    if "word" in kind:
        return "file-earmark-word"
    if kind == "application/zip":
        return "file-earmark-zip"
    if kind.startswith("text/") or kind == "message/rfc822":
        return "file-earmark-text"
    return "file-earmark"


@register.filter
def initials(name: str) -> str:
    parts = [p for p in re.split(r"[\s@._-]+", name or "") if p]
    if not parts:
        return "?"
    letters = parts[0][0] + (parts[-1][0] if len(parts) > 1 else "")
    return letters.upper()


@register.filter
def duration(seconds: int | None) -> str:
    """``754`` -> ``12:34``; ``3725`` -> ``1:02:05``."""
    if seconds is None:
        return ""
    hours, rest = divmod(int(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


@register.filter
def remaining(value: timedelta | None) -> str:
    """A time left (or overdue, when negative) in the two largest units: ``3h 20m``, ``2d 4h``."""
    if value is None:
        return ""
    total = int(abs(value.total_seconds()))
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        text = _("%(d)sd %(h)sh") % {"d": days, "h": hours}
    elif hours:
        text = _("%(h)sh %(m)sm") % {"h": hours, "m": minutes}
    else:
        text = _("%(m)sm") % {"m": max(minutes, 0 if total < 60 else 1)}
    return text


@register.filter
def message_html(message: Any) -> SafeString:
    """The body, escaped, line breaks kept, and ``@username`` of mentioned users highlighted
    (the mentions are prefetched by the selector)."""
    names = {row.user.username.lower() for row in message.mention_rows.all()}
    text = str(escape(message.body.replace("\r\n", "\n")))

    def highlight(match: re.Match[str]) -> str:
        name = match.group(1).rstrip(".")
        if name.lower() not in names:
            return match.group(0)
        rest = match.group(1)[len(name) :]
        return f'<span class="mention">@{name}</span>{rest}'

    if names:
        text = _MENTION.sub(highlight, text)
    return mark_safe(text.replace("\n", "<br>"))


@register.simple_tag
def sla_class(clock: Any) -> str:
    if getattr(clock, "met", None):
        return "met"
    if getattr(clock, "breached", False):
        return "breached"
    if getattr(clock, "paused", False):
        return "paused"
    return "running"
