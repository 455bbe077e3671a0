"""Business-time arithmetic on a calendar: weekly opening hours in a time zone, and holidays.

A :class:`CalendarSnapshot` is a calendar's hours and holidays loaded once (three small queries,
:func:`snapshot`); the functions below work on it without touching the database. Times go in and
come out as aware datetimes in UTC; opening hours are wall-clock times of the calendar's zone, so
a 09:00-17:00 day is eight real hours on the days clocks change too, and a round-the-clock day
is 23 or 25 hours then.

- Several intervals per weekday are allowed (09:00-12:00 and 13:00-17:00); overlapping or
  touching intervals are merged. An interval closing at 23:59:59 runs to midnight.
- A holiday closes its whole local date.
- A calendar without any hours is open around the clock (except on its holidays).

The walk goes from one open interval to the next and skips closed days with a set lookup:
its cost grows with the number of open intervals crossed, never with the minutes added.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

from .models import BusinessCalendar

# A calendar opening less than once in ten years is a configuration error, not an SLA.
MAX_DAYS = 3660
END_OF_DAY = time(23, 59, 59)

Interval = tuple[time, time | None]  # opens, closes (None: midnight at the end of the day)
Span = tuple[datetime, datetime]  # one open stretch, in UTC


class CalendarError(ValueError):
    """The calendar never opens (every open day is a holiday for ten years)."""


@dataclass(frozen=True)
class CalendarSnapshot:
    """A calendar's opening hours and holidays, detached from the database."""

    time_zone: str = "UTC"
    # hours[weekday] (0 = Monday): sorted, non-overlapping (opens, closes) wall-clock intervals.
    hours: tuple[tuple[Interval, ...], ...] = ((),) * 7
    holidays: frozenset[date] = frozenset()
    name: str = field(default="", compare=False)

    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    @property
    def around_the_clock(self) -> bool:
        """No opening hours at all: open 24 hours a day (holidays still close)."""
        return not any(self.hours)

    @property
    def is_plain(self) -> bool:
        """24/7 without holidays: business time is real time."""
        return self.around_the_clock and not self.holidays

    def is_open_day(self, day: date) -> bool:
        return day not in self.holidays and (self.around_the_clock or bool(self.hours[day.weekday()]))

    def day_spans(self, day: date) -> list[Span]:
        """The open stretches of a local date, in UTC, earliest first."""
        if not self.is_open_day(day):
            return []
        if self.around_the_clock:
            return [(self._at(day, time(0)), self._at(day + timedelta(days=1), time(0)))]
        return [
            (
                self._at(day, opens),
                self._at(day, closes) if closes is not None else self._at(day + timedelta(days=1), time(0)),
            )
            for opens, closes in self.hours[day.weekday()]
        ]

    def _at(self, day: date, moment: time) -> datetime:
        # A wall-clock time skipped by a DST change resolves with the offset before the change
        # (fold=0), i.e. to the moment of the change: an interval cannot start twice.
        return datetime.combine(day, moment, tzinfo=self.tz).astimezone(UTC)


ALWAYS_OPEN = CalendarSnapshot(name="24/7")


def merge_intervals(intervals: list[tuple[time, time]]) -> tuple[Interval, ...]:
    """Sort intervals and merge those that overlap or touch; 23:59:59 closes at midnight."""
    merged: list[tuple[time, time | None]] = []
    for opens, closes in sorted(intervals):
        end: time | None = None if closes >= END_OF_DAY else closes
        if merged:
            last_open, last_close = merged[-1]
            if last_close is None or opens <= last_close:
                if last_close is not None and (end is None or end > last_close):
                    merged[-1] = (last_open, end)
                continue
        merged.append((opens, end))
    return tuple(merged)


def snapshot_of(
    *, time_zone: str, hours: list[tuple[int, time, time]], holidays: list[date], name: str = ""
) -> CalendarSnapshot:
    """A snapshot from plain values: ``hours`` as (weekday, opens, closes)."""
    by_day: list[list[tuple[time, time]]] = [[] for _ in range(7)]
    for weekday, opens, closes in hours:
        if not 0 <= weekday <= 6 or closes <= opens:
            raise ValueError(f"bad business hours {weekday} {opens}-{closes}")
        by_day[weekday].append((opens, closes))
    ZoneInfo(time_zone)  # an unknown zone fails here, not at the first computation
    return CalendarSnapshot(
        time_zone=time_zone,
        hours=tuple(merge_intervals(day) for day in by_day),
        holidays=frozenset(holidays),
        name=name,
    )


def snapshot(calendar: BusinessCalendar | None) -> CalendarSnapshot:
    """Load a calendar's hours and holidays (two queries); ``None`` is round the clock in UTC."""
    if calendar is None:
        return ALWAYS_OPEN
    return snapshot_of(
        time_zone=calendar.time_zone,
        hours=list(calendar.hours.values_list("weekday", "opens", "closes")),
        holidays=list(calendar.holidays.values_list("date", flat=True)),
        name=calendar.name,
    )


def snapshot_by_id(calendar_id: int | None) -> CalendarSnapshot:
    """The snapshot of a calendar by id (three queries); ``None`` or a deleted one: 24/7 UTC."""
    if calendar_id is None:
        return ALWAYS_OPEN
    calendar = BusinessCalendar.objects.filter(pk=calendar_id).first()
    return snapshot(calendar)


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("business time needs aware datetimes")
    return moment.astimezone(UTC)


def _spans_after(cal: CalendarSnapshot, start: datetime, last_day: date | None = None) -> Iterator[Span]:
    """Open stretches from ``start`` on, clipped to it. Stops after ``last_day`` (local) when
    given, else raises CalendarError after MAX_DAYS days."""
    day = start.astimezone(cal.tz).date()
    # A stretch of the day before ends at this day's midnight at the latest, so never after start.
    for _ in range(MAX_DAYS):
        if last_day is not None and day > last_day:
            return
        if cal.is_open_day(day):
            for begin, end in cal.day_spans(day):
                if end > start:
                    yield max(begin, start), end
        day += timedelta(days=1)
    if last_day is None:
        raise CalendarError(f"calendar {cal.name or cal.time_zone} does not open within {MAX_DAYS} days")


def _spans_before(cal: CalendarSnapshot, end: datetime) -> Iterator[Span]:
    """Open stretches before ``end``, latest first, clipped to it."""
    day = end.astimezone(cal.tz).date()
    for _ in range(MAX_DAYS):
        if cal.is_open_day(day):
            for begin, stop in reversed(cal.day_spans(day)):
                if begin < end:
                    yield begin, min(stop, end)
        day -= timedelta(days=1)
    raise CalendarError(f"calendar {cal.name or cal.time_zone} was not open within {MAX_DAYS} days")


def add_business_seconds(cal: CalendarSnapshot, start: datetime, seconds: int) -> datetime:
    """The moment ``seconds`` of open time after ``start`` (before it when negative).

    Landing exactly on a closing time returns the closing time (due Friday 17:00, not Monday
    09:00); starting while closed counts from the next opening.
    """
    start = _aware(start)
    if seconds == 0:
        return start
    if cal.is_plain:
        return start + timedelta(seconds=seconds)
    if seconds > 0:
        remaining = timedelta(seconds=seconds)
        for begin, end in _spans_after(cal, start):
            length = end - begin
            if remaining <= length:
                return begin + remaining
            remaining -= length
    else:
        remaining = timedelta(seconds=-seconds)
        for begin, end in _spans_before(cal, start):
            length = end - begin
            if remaining <= length:
                return end - remaining
            remaining -= length
    raise CalendarError("unreachable: the span iterators raise first")  # pragma: no cover


def add_business_minutes(cal: CalendarSnapshot, start: datetime, minutes: int) -> datetime:
    """The moment ``minutes`` of open time after ``start``: an SLA target's due time."""
    return add_business_seconds(cal, start, minutes * 60)


def business_seconds_between(cal: CalendarSnapshot, start: datetime, end: datetime) -> int:
    """Open seconds from ``start`` to ``end``; negative when ``end`` is before ``start``."""
    start, end = _aware(start), _aware(end)
    if end == start:
        return 0
    if end < start:
        return -business_seconds_between(cal, end, start)
    if cal.is_plain:
        return int((end - start).total_seconds())
    total = timedelta(0)
    for begin, stop in _spans_after(cal, start, last_day=end.astimezone(cal.tz).date()):
        if begin >= end:
            break
        total += min(stop, end) - begin
    return int(total.total_seconds())


def is_open(cal: CalendarSnapshot, moment: datetime) -> bool:
    """Whether the calendar is open at ``moment``."""
    moment = _aware(moment)
    day = moment.astimezone(cal.tz).date()
    return any(begin <= moment < end for begin, end in cal.day_spans(day))
