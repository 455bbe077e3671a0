"""How queue and search rows look: badges, icons, SLA due as relative time with its colour.

The queue is the page agents reload all day (and live updates reload it for them), so its rows
are rendered here in Python, once per row, with every value escaped: 50 rows cost about a
millisecond, where the same markup through the template engine cost 15-20 ms (one variable
lookup, escape and translation per cell). The markup lives in ``_ROW`` below; the page around it
stays a template. Search results and the customer page's list use ``row_dicts`` with a template
(fewer rows, richer markup).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from html import escape as esc
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from .choices import Priority, StatusCategory
from .selectors import QueueRow

STATUS_CLASSES = {
    StatusCategory.NEW: "text-bg-info",
    StatusCategory.OPEN: "text-bg-primary",
    StatusCategory.PENDING_CUSTOMER: "text-bg-warning",
    StatusCategory.ON_HOLD: "text-bg-secondary",
    StatusCategory.RESOLVED: "text-bg-success",
    StatusCategory.CLOSED: "text-bg-dark",
}
PRIORITY_CLASSES = {
    Priority.LOW: "priority-low",
    Priority.NORMAL: "priority-normal",
    Priority.HIGH: "priority-high",
    Priority.URGENT: "priority-urgent",
}
PRIORITY_ICONS = {
    Priority.LOW: "arrow-down",
    Priority.NORMAL: "dash",
    Priority.HIGH: "arrow-up",
    Priority.URGENT: "exclamation-triangle-fill",
}
CHANNEL_ICONS = {
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
SOON_SECONDS = 3600  # SLA due within the hour: orange


def url_maker(name: str) -> Callable[[Any], str]:
    """``reverse(name, args=[value])`` for many values at the cost of one ``reverse``."""
    sentinel = "987654321987"
    url = reverse(name, args=[sentinel])
    if url.count(sentinel) != 1:
        return lambda value: reverse(name, args=[value])
    prefix, suffix = url.split(sentinel)
    return lambda value: f"{prefix}{value}{suffix}"


class _Texts:
    """The translated phrases of relative times, looked up once per page rather than per cell."""

    def __init__(self) -> None:
        self.under_a_minute = _("<1 min")
        self.minutes = _("%(m)d min")
        self.hours_minutes = _("%(h)d h %(m)d min")
        self.hours = _("%(h)d h")
        self.days_hours = _("%(d)d d %(h)d h")
        self.days = _("%(d)d d")
        self.just_now = _("just now")
        self.ago = _("%(time)s ago")
        self.within = _("in %(time)s")
        self.overdue = _("%(time)s overdue")
        self.paused = _("paused")


def duration_text(seconds: float, texts: _Texts | None = None) -> str:
    """A compact duration: "<1 min", "12 min", "3 h 20 min", "14 h", "2 d 5 h", "12 d"."""
    t = texts or _Texts()
    minutes = int(abs(seconds) // 60)
    if minutes < 1:
        return t.under_a_minute
    if minutes < 60:
        return t.minutes % {"m": minutes}
    hours, minutes = divmod(minutes, 60)
    if hours < 10 and minutes:
        return t.hours_minutes % {"h": hours, "m": minutes}
    if hours < 24:
        return t.hours % {"h": hours}
    days, hours = divmod(hours, 24)
    if days < 3 and hours:
        return t.days_hours % {"d": days, "h": hours}
    return t.days % {"d": days}


def ago_text(value: datetime | None, now: datetime, texts: _Texts | None = None) -> str:
    if value is None:
        return ""
    t = texts or _Texts()
    seconds = (now - value).total_seconds()
    if seconds < 60:
        return t.just_now
    return t.ago % {"time": duration_text(seconds, t)}


def local_text(value: datetime | None, tz: Any = None) -> str:
    """``2026-12-03 14:05`` in the current time zone (``tz``: pass it when formatting many)."""
    if value is None:
        return ""
    return value.astimezone(tz or timezone.get_current_timezone()).strftime("%Y-%m-%d %H:%M")


def due_display(row: QueueRow, now: datetime, texts: _Texts | None = None) -> tuple[str, str]:
    """(text, css class) of a row's SLA due: breached red, under an hour orange, paused grey."""
    t = texts or _Texts()
    due = row.sla_due_at
    if due is None:
        # No running clock: stood still ("pending customer") or none at all.
        return (t.paused, "sla-paused") if row.sla_paused else ("", "")
    seconds = (due - now).total_seconds()
    if seconds < 0 or row.sla_breached:
        return t.overdue % {"time": duration_text(seconds, t)}, "sla-breached"
    text = t.within % {"time": duration_text(seconds, t)}
    if seconds < SOON_SECONDS:
        return text, "sla-soon"
    if seconds < 4 * SOON_SECONDS:
        return text, "sla-today"
    return text, "sla-later"


def initials(name: str) -> str:
    parts = name.split()
    return "".join(p[0] for p in parts[:2]).upper() if parts else ""


def row_dicts(rows: Iterable[QueueRow], *, now: datetime | None = None) -> list[dict[str, Any]]:
    """Everything a queue row shows, ready for the template."""
    now = now or timezone.now()
    texts = _Texts()
    tz = timezone.get_current_timezone()
    case_url = url_maker("cases:case_detail")
    customer_url = url_maker("customers:customer_detail")
    priorities = dict(Priority.choices)
    out = []
    for row in rows:
        due_text, due_class = due_display(row, now, texts)
        out.append(
            {
                "id": row.id,
                "reference": row.reference,
                "subject": row.subject,
                "url": case_url(row.reference),
                "customer_name": row.customer_name,
                "customer_url": customer_url(row.customer_id),
                "status_name": row.status_name,
                "status_class": STATUS_CLASSES.get(row.status_category, "text-bg-secondary"),  # type: ignore[call-overload]
                "priority": row.priority,
                "priority_label": priorities.get(row.priority, row.priority),
                "priority_class": PRIORITY_CLASSES.get(row.priority, ""),  # type: ignore[call-overload]
                "priority_icon": PRIORITY_ICONS.get(row.priority, "dash"),  # type: ignore[call-overload]
                "channel": row.channel,
                "channel_icon": CHANNEL_ICONS.get(row.channel, "question"),
                "assignee_name": row.assignee_name,
                "assignee_initials": initials(row.assignee_name),
                "team_name": row.team_name,
                "due_text": due_text,
                "due_class": due_class,
                "due_iso": row.sla_due_at.isoformat() if row.sla_due_at else "",
                "due_title": local_text(row.sla_due_at, tz),
                "last_text": ago_text(row.last_message_at, now, texts),
                "last_iso": row.last_message_at.isoformat() if row.last_message_at else "",
                "last_title": local_text(row.last_message_at, tz),
                "created_text": ago_text(row.created_at, now, texts),
                "message_count": row.message_count,
                "tags": row.tags,
                "merged": row.merged_into_id is not None,
                "row_class": "queue-row-breached" if due_class == "sla-breached" else "",
            }
        )
    return out


def highlighted(text: str, spans: list[tuple[int, int]]) -> SafeString:
    """``text`` escaped, with the ``spans`` wrapped in ``<mark>``."""
    parts: list[str] = []
    at = 0
    for start, end in spans:
        parts.append(escape(text[at:start]))
        parts.append(f"<mark>{escape(text[start:end])}</mark>")
        at = end
    parts.append(escape(text[at:]))
    return mark_safe("".join(parts))


# --- the queue's rows, rendered in Python --------------------------------------------------------

_ROW = (
    '<tr data-url="{url}" class="{row_class}">'
    '<td class="select">{checkbox}</td>'
    '<td><a class="ref" href="{url}">#{reference}</a></td>'
    '<td><a class="subject" href="{url}" title="{subject}">{subject}</a>'
    '<div class="meta"><a href="{customer_url}">{customer}</a> · '
    '<i class="bi bi-{channel_icon}" title="{channel}" aria-hidden="true"></i> {created}{tags}{merged}</div></td>'
    '<td><span class="badge status {status_class}">{status}</span></td>'
    '<td><span class="badge {priority_class}"><i class="bi bi-{priority_icon}" aria-hidden="true"></i> '
    "{priority}</span></td>"
    "<td>{who}</td>"
    "<td>{due}</td>"
    '<td class="small text-nowrap">{last} <span class="badge rounded-pill text-bg-light border num" '
    'title="{messages_label}"><i class="bi bi-chat-left-text" aria-hidden="true"></i> {message_count}</span></td>'
    "</tr>"
)


def rows_html(rows: Iterable[dict[str, Any]], *, selectable: bool) -> SafeString:
    """The ``<tr>``s of the queue table for ``row_dicts`` output; every value is escaped."""
    select_label = esc(_("Select"))
    unassigned = esc(_("Unassigned"))
    merged = f' <span class="badge text-bg-secondary">{esc(_("merged"))}</span>'
    messages_label = esc(_("Messages"))
    out = []
    for r in rows:
        team = f'<div class="meta">{esc(r["team_name"])}</div>' if r["team_name"] else ""
        if r["assignee_name"]:
            who = (
                f'<div class="who"><span class="avatar" aria-hidden="true">{esc(r["assignee_initials"])}</span>'
                f'<div><div class="small">{esc(r["assignee_name"])}</div>{team}</div></div>'
            )
        else:
            who = f'<div class="small unassigned">{unassigned}</div>{team}'
        if r["due_text"]:
            due = (
                f'<time class="sla {r["due_class"]}" datetime="{r["due_iso"]}" title="{r["due_title"]}">'
                f"{esc(r['due_text'])}</time>"
            )
        else:
            due = '<span class="text-body-tertiary">—</span>'
        last = (
            f'<time datetime="{r["last_iso"]}" title="{r["last_title"]}">{esc(r["last_text"])}</time>'
            if r["last_text"]
            else ""
        )
        checkbox = (
            f'<input class="form-check-input" type="checkbox" name="case" value="{r["id"]}" '
            f'aria-label="{select_label} #{esc(r["reference"])}">'
            if selectable
            else ""
        )
        out.append(
            _ROW.format(
                url=esc(r["url"]),
                row_class=r["row_class"],
                checkbox=checkbox,
                reference=esc(r["reference"]),
                subject=esc(r["subject"]),
                customer_url=esc(r["customer_url"]),
                customer=esc(r["customer_name"]),
                channel_icon=r["channel_icon"],
                channel=esc(r["channel"]),
                created=esc(r["created_text"]),
                tags="".join(f'<span class="tag">{esc(tag)}</span>' for tag in r["tags"]),
                merged=merged if r["merged"] else "",
                status_class=r["status_class"],
                status=esc(r["status_name"]),
                priority_class=r["priority_class"],
                priority_icon=r["priority_icon"],
                priority=esc(str(r["priority_label"])),
                who=who,
                due=due,
                last=last,
                messages_label=messages_label,
                message_count=int(r["message_count"]),
            )
        )
    return mark_safe("".join(out))
