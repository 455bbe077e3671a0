"""What an agent may promise: availability state, next restock, ship date, delivery estimate.

Pure functions of plain values (no database, no clock of their own: ``now``/``today`` are
arguments), so they are tested with a frozen clock and used by the stock page, the API and the
orders app alike.

Rules (reference §5.1):

* ``DISCONTINUED`` when the product is discontinued (whatever is left still ships: see
  ``shippable``);
* ``IN_STOCK`` when available > threshold; ``LOW_STOCK`` when 0 < available <= threshold;
* ``BACKORDER`` when available <= 0 and the product allows backorders or a restock is on its
  way (an open inbound line); ``OUT_OF_STOCK`` otherwise.

Dates: business days are Monday to Friday. An order placed before the warehouse's cut-off
(in the warehouse's time zone) on a business day is released that day, else on the next
business day; it is handed to the carrier ``handling_days`` business days after release
(0 = same day). Goods from a restock are released on the first business day after they arrive.
The estimated delivery date is the ship date plus the carrier's transit time in business days.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Protocol

from .choices import Availability

SATURDAY = 5


class ShippingQueue(Protocol):
    """What a warehouse's shipping queue needs (``Warehouse`` has these)."""

    timezone: str
    cutoff_time: time
    handling_days: int


@dataclass(frozen=True)
class RestockLine:
    """One open inbound line: when it is expected, how many remain, under which reference."""

    expected_date: date | None
    remaining: int
    reference: str = ""
    inbound_id: int | None = None


@dataclass(frozen=True)
class Restock:
    """The next restock: its date (``None`` when no line has one), units, and references."""

    date: date | None
    quantity: int
    overdue: bool
    references: tuple[str, ...] = ()
    inbound_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class Promise:
    """When an order placed now would ship and arrive; ``from_restock`` if it waits for one."""

    ship_date: date
    delivery_date: date | None
    from_restock: bool


# --- business days ----------------------------------------------------------------------------


def is_business_day(day: date) -> bool:
    return day.weekday() < SATURDAY


def next_business_day(day: date) -> date:
    """The first business day strictly after ``day``."""
    day += timedelta(days=1)
    while not is_business_day(day):
        day += timedelta(days=1)
    return day


def business_day_on_or_after(day: date) -> date:
    return day if is_business_day(day) else next_business_day(day)


def add_business_days(day: date, days: int) -> date:
    """``day`` moved forward by ``days`` business days (0: ``day`` itself)."""
    if days < 0:
        raise ValueError("days must be >= 0")
    for _ in range(days):
        day = next_business_day(day)
    return day


# --- state ----------------------------------------------------------------------------------


def availability_state(
    *, available: int, threshold: int, discontinued: bool, allow_backorder: bool, restock_expected: bool
) -> Availability:
    if discontinued:
        return Availability.DISCONTINUED
    if available > threshold:
        return Availability.IN_STOCK
    if available > 0:
        return Availability.LOW_STOCK
    if allow_backorder or restock_expected:
        return Availability.BACKORDER
    return Availability.OUT_OF_STOCK


def shippable(available: int, quantity: int = 1) -> bool:
    """Whether ``quantity`` units can ship from stock now."""
    return available >= quantity > 0


# --- restock ----------------------------------------------------------------------------------


def next_restock(lines: Iterable[RestockLine], *, today: date) -> Restock | None:
    """The earliest expected arrival of open inbound lines and the units due that day.

    Lines without a date count only when no line has one. An expected date before ``today``
    is still returned, marked ``overdue``: the supplier is late and the agent should say so.
    """
    open_lines = [line for line in lines if line.remaining > 0]
    if not open_lines:
        return None
    dated = [line for line in open_lines if line.expected_date is not None]
    if dated:
        first = min(line.expected_date for line in dated if line.expected_date is not None)
        due = [line for line in dated if line.expected_date == first]
        overdue = first < today
    else:
        first, due, overdue = None, open_lines, False
    return Restock(
        date=first,
        quantity=sum(line.remaining for line in due),
        overdue=overdue,
        references=tuple(sorted({line.reference for line in due if line.reference})),
        inbound_ids=tuple(sorted({line.inbound_id for line in due if line.inbound_id is not None})),
    )


# --- dates ------------------------------------------------------------------------------------


def release_date(*, now: datetime, queue: ShippingQueue) -> date:
    """The business day an order placed at ``now`` starts through the warehouse's queue."""
    local = now.astimezone(zoneinfo.ZoneInfo(queue.timezone))
    day = local.date()
    if is_business_day(day) and local.time() < queue.cutoff_time:
        return day
    return next_business_day(day)


def earliest_ship_date(*, now: datetime, queue: ShippingQueue, available_from: date | None = None) -> date:
    """When an order placed at ``now`` is handed to the carrier.

    ``available_from``: the goods arrive that day (a restock); they are released on the first
    business day after it, if that is later than the order's own release day.
    """
    day = release_date(now=now, queue=queue)
    if available_from is not None:
        day = max(day, next_business_day(available_from))
    return add_business_days(day, queue.handling_days)


def estimated_delivery_date(*, ship_date: date, transit_days: int) -> date:
    return add_business_days(ship_date, transit_days)


def promise(
    *,
    now: datetime,
    queue: ShippingQueue,
    available: int,
    restock: Restock | None,
    transit_days: int | None,
    quantity: int = 1,
) -> Promise | None:
    """Ship and delivery dates for ``quantity`` units ordered at ``now`` from one warehouse.

    From stock when enough is available; else from the next restock if it brings enough once
    the units already owed (negative ``available``) are served - an overdue restock counts from
    today; ``None`` when nothing due would cover it.
    """
    today = now.astimezone(zoneinfo.ZoneInfo(queue.timezone)).date()
    if shippable(available, quantity):
        ship = earliest_ship_date(now=now, queue=queue)
        from_restock = False
    elif restock is not None and restock.date is not None and available + restock.quantity >= quantity:
        ship = earliest_ship_date(now=now, queue=queue, available_from=max(restock.date, today))
        from_restock = True
    else:
        return None
    delivery = (
        None if transit_days is None else estimated_delivery_date(ship_date=ship, transit_days=transit_days)
    )
    return Promise(ship_date=ship, delivery_date=delivery, from_restock=from_restock)
