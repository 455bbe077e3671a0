"""The plain-language status of an order: one or two sentences an agent can read out.

Built from the order, its lines, holds and status history, plus the shipments as plain data
(:class:`ShipmentSummary`), since orders cannot import shipping: the shipping app (or whoever
shows the sentence) passes them in.

    Your order 10023 is on hold because the Titan G15 gaming laptop is out of stock; the
    restock is due on Thursday 5 December (in 2 days), so it should ship by Friday 6 December.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.utils import dateformat, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .choices import HoldReason, LineStatus, OrderStatus
from .models import Order, OrderHold, OrderLine, OrderStatusChange

DEFAULT_HANDLING_DAYS = 1


@dataclass(frozen=True)
class ShipmentSummary:
    """What the sentence needs of one shipment. ``status`` is the shipping app's normalised
    status value (``in_transit``, ``out_for_delivery``, ``delivered``, ``exception``...)."""

    carrier: str
    tracking_number: str
    status: str
    estimated_delivery: date | None = None
    delivered_at: datetime | None = None


def format_day(day: date, today: date | None = None) -> str:
    """``Thursday 5 December`` (and the year when it is not this year's)."""
    fmt = "l j F" if day.year == (today or timezone.localdate()).year else "l j F Y"
    return dateformat.format(day, fmt)


def relative_day(day: date, today: date) -> str:
    delta = (day - today).days
    if delta == 0:
        return _("today")
    if delta == 1:
        return _("tomorrow")
    if delta == -1:
        return _("yesterday")
    if delta > 0:
        return ngettext("in %(n)s day", "in %(n)s days", delta) % {"n": delta}
    return ngettext("%(n)s day ago", "%(n)s days ago", -delta) % {"n": -delta}


def add_working_days(day: date, days: int) -> date:
    """``day`` plus ``days`` working days (Monday to Friday)."""
    result = day
    while result.weekday() >= 5:
        result += timedelta(days=1)
    added = 0
    while added < days:
        result += timedelta(days=1)
        if result.weekday() < 5:
            added += 1
    return result


def _handling_days(lines: Sequence[OrderLine]) -> int:
    days = [
        line.source_warehouse.handling_days
        for line in lines
        if line.source_warehouse_id and line.source_warehouse is not None
    ]
    return max(days) if days else DEFAULT_HANDLING_DAYS


def _open_lines(lines: Sequence[OrderLine]) -> list[OrderLine]:
    return [
        line
        for line in lines
        if line.status not in (LineStatus.CANCELLED, LineStatus.RETURNED)
        and line.quantity_shipped < line.quantity
    ]


def _names(lines: Sequence[OrderLine]) -> str:
    names = [line.name for line in lines]
    if len(names) <= 1:
        return "".join(names)
    return _("%(first)s and %(last)s") % {"first": ", ".join(names[:-1]), "last": names[-1]}


def _last_change(history: Sequence[OrderStatusChange], status: str) -> OrderStatusChange | None:
    matching = [change for change in history if change.to_status == status]
    return max(matching, key=lambda c: (c.at, c.pk or 0)) if matching else None


def _carriers(shipments: Sequence[ShipmentSummary]) -> str:
    names: list[str] = []
    for shipment in shipments:
        if shipment.carrier and shipment.carrier not in names:
            names.append(shipment.carrier)
    return (
        _("%(first)s and %(last)s") % {"first": ", ".join(names[:-1]), "last": names[-1]}
        if len(names) > 1
        else "".join(names)
    )


_TRANSIT_PHRASES = {
    "label_created": "waiting for the carrier to collect it",
    "picked_up": "on its way",
    "in_transit": "on its way",
    "out_for_delivery": "out for delivery today",
    "available_for_pickup": "waiting for you at the pickup point",
    "failed_attempt": "back with the carrier after a missed delivery attempt",
    "delayed": "delayed in transit",
    "exception": "held up: the carrier reports a problem",
    "returning": "on its way back to us",
}


def _transit_phrase(status: str) -> str:
    phrase = _TRANSIT_PHRASES.get(status)
    return _(phrase) if phrase else _("on its way")


def _shipment_clause(shipments: Sequence[ShipmentSummary], today: date) -> str:
    """``with UPS (tracking 1Z…) and is on its way; delivery is expected on Friday 6 December``."""
    if not shipments:
        return ""
    in_flight = [s for s in shipments if s.status != "delivered"] or list(shipments)
    parts = []
    carriers = _carriers(shipments)
    if len(shipments) == 1 and shipments[0].tracking_number:
        parts.append(
            _(" with %(carrier)s (tracking %(tracking)s)")
            % {"carrier": carriers or _("the carrier"), "tracking": shipments[0].tracking_number}
        )
    elif carriers:
        parts.append(
            ngettext(
                " in %(n)s parcel with %(carriers)s", " in %(n)s parcels with %(carriers)s", len(shipments)
            )
            % {"n": len(shipments), "carriers": carriers}
        )
    worst = next(
        (s for s in in_flight if s.status in ("exception", "delayed", "failed_attempt")), in_flight[0]
    )
    parts.append(_(" and is %(phrase)s") % {"phrase": _transit_phrase(worst.status)})
    dates = [s.estimated_delivery for s in in_flight if s.estimated_delivery]
    if dates:
        edd = max(dates)
        parts.append(
            _("; delivery is expected on %(day)s (%(relative)s)")
            % {"day": format_day(edd, today), "relative": relative_day(edd, today)}
        )
    return "".join(parts)


def _ship_by(lines: Sequence[OrderLine], today: date) -> date | None:
    dates = [line.expected_ship_date for line in lines if line.expected_ship_date]
    return max(dates) if dates else None


_HOLD_PHRASES = {
    HoldReason.PAYMENT: "while we wait for the payment to be confirmed",
    HoldReason.ADDRESS: "until the delivery address is confirmed",
    HoldReason.FRAUD_CHECK: "for a routine security check",
}


def _hold_sentence(order: Order, lines: Sequence[OrderLine], holds: Sequence[OrderHold], today: date) -> str:
    active = sorted((h for h in holds if h.released_at is None), key=lambda h: (h.placed_at, h.pk or 0))
    if not active:
        return _("Your order %(number)s is on hold.") % {"number": order.number}
    main = next((h for h in active if h.reason == HoldReason.OUT_OF_STOCK), active[0])
    handling = _handling_days(lines)
    number = order.number
    if main.reason == HoldReason.OUT_OF_STOCK:
        waiting = (
            [main.line]
            if main.line is not None
            else [line for line in _open_lines(lines) if line.status == LineStatus.BACKORDERED]
        )
        item = _names(waiting) if waiting else _("an item")
        sentence = _("Your order %(number)s is on hold because the %(item)s is out of stock") % {
            "number": number,
            "item": item,
        }
        release = main.expected_release_date
        if release is None:
            sentence += _("; we are waiting for the date of the next restock.")
        elif release < today:
            sentence += _(
                "; the restock was due on %(day)s and has not arrived yet, we are checking with the warehouse."
            ) % {"day": format_day(release, today)}
        else:
            ship = add_working_days(release, handling)
            sentence += _(
                "; the restock is due on %(day)s (%(relative)s), so it should ship by %(ship)s."
            ) % {
                "day": format_day(release, today),
                "relative": relative_day(release, today),
                "ship": format_day(ship, today),
            }
    else:
        if main.reason == HoldReason.OTHER:
            sentence = _("Your order %(number)s is on hold: %(note)s") % {"number": number, "note": main.note}
        else:
            sentence = _("Your order %(number)s is on hold %(phrase)s") % {
                "number": number,
                "phrase": _(_HOLD_PHRASES[HoldReason(main.reason)]),
            }
        release = main.expected_release_date
        if release is not None and release >= today:
            sentence += _("; we expect to release it on %(day)s, so it should ship by %(ship)s.") % {
                "day": format_day(release, today),
                "ship": format_day(add_working_days(release, handling), today),
            }
        else:
            sentence = sentence.rstrip(".") + "."
    others = [h for h in active if h is not main]
    if others:
        sentence += " " + _("It is also held for: %(reasons)s.") % {
            "reasons": ", ".join(str(HoldReason(h.reason).label).lower() for h in others)
        }
    return sentence


def status_sentence(
    order: Order,
    *,
    lines: Sequence[OrderLine],
    holds: Sequence[OrderHold] = (),
    history: Sequence[OrderStatusChange] = (),
    shipments: Sequence[ShipmentSummary] = (),
    today: date | None = None,
) -> str:
    """What to tell the customer about ``order``, in their words."""
    today = today or timezone.localdate()
    number = order.number
    status = order.status
    if status == OrderStatus.CANCELLED:
        change = _last_change(history, OrderStatus.CANCELLED)
        if change is None:
            return _("Your order %(number)s was cancelled.") % {"number": number}
        day = format_day(timezone.localdate(change.at), today)
        if change.reason:
            return _("Your order %(number)s was cancelled on %(day)s (%(reason)s).") % {
                "number": number,
                "day": day,
                "reason": change.reason,
            }
        return _("Your order %(number)s was cancelled on %(day)s.") % {"number": number, "day": day}
    if status == OrderStatus.RETURNED:
        return _("Your order %(number)s was returned to us.") % {"number": number}
    if status in (OrderStatus.DELIVERED, OrderStatus.COMPLETED):
        times = [s.delivered_at for s in shipments if s.delivered_at]
        change = _last_change(history, OrderStatus.DELIVERED)
        when = max(times) if times else (change.at if change else None)
        carriers = _carriers(shipments)
        by = _(" by %(carriers)s") % {"carriers": carriers} if carriers else ""
        if when is None:
            return _("Your order %(number)s was delivered%(by)s.") % {"number": number, "by": by}
        return _("Your order %(number)s was delivered%(by)s on %(day)s.") % {
            "number": number,
            "by": by,
            "day": format_day(timezone.localdate(when), today),
        }
    if status == OrderStatus.SHIPPED:
        return _("Your order %(number)s has shipped%(clause)s.") % {
            "number": number,
            "clause": _shipment_clause(shipments, today),
        }
    if status == OrderStatus.ON_HOLD:
        return _hold_sentence(order, lines, holds, today)

    open_lines = _open_lines(lines)
    backordered = [line for line in open_lines if line.quantity_backordered > 0]
    handling = _handling_days(lines)
    if status == OrderStatus.PARTIALLY_SHIPPED:
        active = [line for line in lines if line.status not in (LineStatus.CANCELLED, LineStatus.RETURNED)]
        done = sum(min(line.quantity_shipped, line.quantity) for line in active)
        total = sum(line.quantity for line in active)
        sentence = _("Part of your order %(number)s has shipped (%(done)s of %(total)s items)%(clause)s.") % {
            "number": number,
            "done": done,
            "total": total,
            "clause": _shipment_clause(shipments, today),
        }
        ship = _ship_by(open_lines, today)
        rest = _names(open_lines)
        if rest and ship:
            sentence += " " + _("The %(items)s should ship by %(day)s.") % {
                "items": rest,
                "day": format_day(ship, today),
            }
        elif rest:
            sentence += " " + _("The %(items)s will follow as soon as it is ready.") % {"items": rest}
        return sentence
    placed = format_day(timezone.localdate(order.placed_at), today)
    if status == OrderStatus.PENDING:
        sentence = _("Your order %(number)s was placed on %(day)s and is waiting to be confirmed.") % {
            "number": number,
            "day": placed,
        }
    else:  # confirmed, processing
        ship = _ship_by(open_lines, today)
        if ship is None:
            ship = add_working_days(today, handling)
        sentence = _("Your order %(number)s is confirmed and being prepared; it should ship by %(day)s.") % {
            "number": number,
            "day": format_day(ship, today),
        }
    if backordered:
        dates = [line.expected_ship_date for line in backordered if line.expected_ship_date]
        if dates:
            sentence += " " + _("The %(items)s is backordered and expected to ship on %(day)s.") % {
                "items": _names(backordered),
                "day": format_day(max(dates), today),
            }
        else:
            sentence += " " + _("The %(items)s is backordered; we do not have a restock date yet.") % {
                "items": _names(backordered)
            }
    return sentence
