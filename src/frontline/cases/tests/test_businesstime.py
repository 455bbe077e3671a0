"""Business-time arithmetic: weekends, holidays, split days, DST, round the clock."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from frontline.cases import businesstime
from frontline.cases.businesstime import (
    ALWAYS_OPEN,
    CalendarError,
    add_business_minutes,
    add_business_seconds,
    business_seconds_between,
    is_open,
    merge_intervals,
    snapshot,
    snapshot_of,
)
from frontline.cases.models import BusinessCalendar, BusinessHours, Holiday

BERLIN = ZoneInfo("Europe/Berlin")
WHIT_MONDAY = date(2026, 5, 25)


def berlin(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=BERLIN)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def office(
    *, holidays: tuple[date, ...] = (WHIT_MONDAY,), split: bool = False
) -> businesstime.CalendarSnapshot:
    """Mon-Fri 09:00-17:00 Europe/Berlin (or 09:00-12:00 + 13:00-17:00 with ``split``)."""
    day = [(time(9), time(12)), (time(13), time(17))] if split else [(time(9), time(17))]
    hours = [(weekday, opens, closes) for weekday in range(5) for opens, closes in day]
    return snapshot_of(time_zone="Europe/Berlin", hours=hours, holidays=list(holidays))


class TestAddBusinessMinutes:
    def test_friday_closing_time_plus_eight_hours_skips_the_weekend_and_whit_monday(self):
        # given Friday 22 May 2026 17:00 in Berlin, Monday 25 May a holiday
        start = berlin(2026, 5, 22, 17, 0)

        # when 8 business hours are added
        due = add_business_minutes(office(), start, 8 * 60)

        # then the whole of Tuesday is used: due Tuesday 17:00 CEST
        assert due == utc(2026, 5, 26, 15, 0)
        assert due.tzinfo == UTC

    def test_without_the_holiday_monday_is_used(self):
        assert add_business_minutes(office(holidays=()), berlin(2026, 5, 22, 17, 0), 480) == utc(
            2026, 5, 25, 15, 0
        )

    def test_part_of_friday_then_tuesday(self):
        # 2 hours on Friday (15:00-17:00), 6 on Tuesday (09:00-15:00)
        assert add_business_minutes(office(), berlin(2026, 5, 22, 15, 0), 480) == utc(2026, 5, 26, 13, 0)

    def test_start_while_closed_counts_from_the_next_opening(self):
        # Saturday morning: Sunday closed, Monday a holiday, Tuesday opens at 09:00
        assert add_business_minutes(office(), berlin(2026, 5, 23, 10, 0), 60) == utc(2026, 5, 26, 8, 0)

    def test_landing_on_closing_time_returns_the_closing_time(self):
        assert add_business_minutes(office(), berlin(2026, 5, 18, 9, 0), 480) == utc(2026, 5, 18, 15, 0)

    def test_lunch_break_between_two_intervals_is_skipped(self):
        # 11:00-12:00, then 13:00-14:00
        assert add_business_minutes(office(split=True), berlin(2026, 5, 18, 11, 0), 120) == utc(
            2026, 5, 18, 12, 0
        )

    def test_spring_forward_week(self):
        # Friday 27 March 16:00 CET: 1 hour on Friday, 7 on Monday 30 March (CEST since Sunday)
        assert add_business_minutes(office(), berlin(2026, 3, 27, 16, 0), 480) == utc(2026, 3, 30, 14, 0)

    def test_fall_back_week(self):
        # Friday 23 October 16:00 CEST: 1 hour on Friday, 7 on Monday 26 October (CET since Sunday)
        assert add_business_minutes(office(), berlin(2026, 10, 23, 16, 0), 480) == utc(2026, 10, 26, 15, 0)

    def test_negative_minutes_walk_back_over_the_holiday_and_weekend(self):
        # Tuesday 09:30 minus 60 minutes: 30 on Tuesday, Monday holiday, 30 before Friday 17:00
        assert add_business_minutes(office(), berlin(2026, 5, 26, 9, 30), -60) == utc(2026, 5, 22, 14, 30)

    def test_zero_minutes_is_the_start_itself_even_while_closed(self):
        start = berlin(2026, 5, 23, 10, 0)
        assert add_business_minutes(office(), start, 0) == start

    def test_a_year_of_business_hours_lands_on_the_last_friday(self):
        # 52 weeks of 40 hours from Monday 5 January 2026 09:00: Friday 1 January 2027 17:00 CET
        due = add_business_minutes(office(holidays=()), berlin(2026, 1, 5, 9, 0), 52 * 40 * 60)
        assert due == utc(2027, 1, 1, 16, 0)

    def test_naive_datetimes_are_refused(self):
        with pytest.raises(ValueError, match="aware"):
            add_business_minutes(office(), datetime(2026, 5, 22, 17, 0), 60)

    def test_a_calendar_that_never_opens_raises(self):
        # open on Mondays only, and every Monday for ten years is a holiday
        mondays = [date(2026, 5, 25) + timedelta(weeks=n) for n in range(600)]
        cal = snapshot_of(time_zone="UTC", hours=[(0, time(9), time(17))], holidays=mondays)
        with pytest.raises(CalendarError):
            add_business_minutes(cal, utc(2026, 5, 23), 60)


class TestRoundTheClock:
    def test_no_hours_and_no_holidays_is_real_time_across_dst(self):
        cal = snapshot_of(time_zone="Europe/Berlin", hours=[], holidays=[])
        assert cal.is_plain
        # Saturday 12:00 CET + 24 hours = Sunday 13:00 CEST (23 wall-clock hours later + 1)
        assert add_business_minutes(cal, berlin(2026, 3, 28, 12, 0), 1440) == utc(2026, 3, 29, 11, 0)
        assert add_business_minutes(ALWAYS_OPEN, utc(2026, 1, 1), 90) == utc(2026, 1, 1, 1, 30)

    def test_holidays_close_whole_local_days_and_the_dst_day_has_23_hours(self):
        # given round the clock in Berlin with Saturday 28 March 2026 a holiday
        cal = snapshot_of(time_zone="Europe/Berlin", hours=[], holidays=[date(2026, 3, 28)])

        # then from Saturday 00:00 to Monday 00:00 only Sunday counts, which has 23 hours
        assert (
            business_seconds_between(cal, berlin(2026, 3, 28, 0, 0), berlin(2026, 3, 30, 0, 0)) == 23 * 3600
        )
        # and two hours from Friday 23:00 CET are Friday's last hour and Sunday's first
        assert add_business_minutes(cal, berlin(2026, 3, 27, 23, 0), 120) == utc(2026, 3, 29, 0, 0)


class TestBusinessSecondsBetween:
    def test_counts_only_open_time(self):
        # Friday 16:00-17:00 and Tuesday 09:00-10:00 (Monday a holiday)
        start, end = berlin(2026, 5, 22, 16, 0), berlin(2026, 5, 26, 10, 0)
        assert business_seconds_between(office(), start, end) == 7200

    def test_reversed_bounds_are_negative(self):
        start, end = berlin(2026, 5, 22, 16, 0), berlin(2026, 5, 26, 10, 0)
        assert business_seconds_between(office(), end, start) == -7200

    def test_split_day_and_closed_stretches(self):
        cal = office(split=True)
        assert (
            business_seconds_between(cal, berlin(2026, 5, 18, 10, 0), berlin(2026, 5, 18, 15, 0)) == 4 * 3600
        )
        assert business_seconds_between(cal, berlin(2026, 5, 23, 8), berlin(2026, 5, 25, 23)) == 0

    def test_spring_forward_week_counts_wall_clock_hours(self):
        # Friday 16:00 CET to Monday 10:00 CEST: 1 + 1 hours
        assert business_seconds_between(office(), berlin(2026, 3, 27, 16), berlin(2026, 3, 30, 10)) == 7200

    @pytest.mark.parametrize(
        "start",
        [
            berlin(2026, 5, 22, 16, 59),
            berlin(2026, 5, 23, 3, 0),
            berlin(2026, 3, 27, 8, 15),
            berlin(2026, 10, 24, 2, 30),
            berlin(2026, 12, 24, 12, 0),
        ],
    )
    @pytest.mark.parametrize("minutes", [1, 59, 480, 481, 2400, 10_000])
    def test_adding_then_measuring_gives_back_the_minutes(self, start, minutes):
        for cal in (office(), office(split=True)):
            due = add_business_minutes(cal, start, minutes)
            assert business_seconds_between(cal, start, due) == minutes * 60
            assert add_business_seconds(cal, due, -minutes * 60) >= start


class TestIntervalsAndOpening:
    def test_overlapping_and_touching_intervals_merge_and_23_59_59_runs_to_midnight(self):
        merged = merge_intervals(
            [(time(13), time(15)), (time(9), time(12)), (time(11), time(13)), (time(20), time(23, 59, 59))]
        )
        assert merged == ((time(9), time(15)), (time(20), None))

    def test_is_open(self):
        cal = office(split=True)
        assert is_open(cal, berlin(2026, 5, 18, 9, 0))
        assert not is_open(cal, berlin(2026, 5, 18, 12, 30))
        assert not is_open(cal, berlin(2026, 5, 18, 17, 0))
        assert not is_open(cal, berlin(2026, 5, 25, 10, 0))  # Whit Monday

    def test_bad_hours_are_refused(self):
        with pytest.raises(ValueError):
            snapshot_of(time_zone="UTC", hours=[(7, time(9), time(17))], holidays=[])
        with pytest.raises(ValueError):
            snapshot_of(time_zone="UTC", hours=[(1, time(17), time(9))], holidays=[])


@pytest.mark.django_db
class TestSnapshotFromTheDatabase:
    def test_loads_hours_and_holidays_in_two_queries(self, django_assert_num_queries):
        # given a calendar with a split Monday and a holiday
        calendar = BusinessCalendar.objects.create(name="Berlin office", time_zone="Europe/Berlin")
        BusinessHours.objects.create(calendar=calendar, weekday=0, opens=time(13), closes=time(17))
        BusinessHours.objects.create(calendar=calendar, weekday=0, opens=time(9), closes=time(12))
        BusinessHours.objects.create(calendar=calendar, weekday=4, opens=time(9), closes=time(23, 59, 59))
        Holiday.objects.create(calendar=calendar, date=WHIT_MONDAY, name="Whit Monday")

        # when it is loaded
        with django_assert_num_queries(2):
            cal = snapshot(calendar)

        # then the snapshot holds exactly that
        assert cal.time_zone == "Europe/Berlin"
        assert cal.hours[0] == ((time(9), time(12)), (time(13), time(17)))
        assert cal.hours[4] == ((time(9), None),)
        assert cal.hours[1] == ()
        assert cal.holidays == frozenset({WHIT_MONDAY})
        # Friday 23:00-24:00, then (Monday a holiday) Friday 29 May from 09:00
        assert add_business_minutes(cal, berlin(2026, 5, 22, 23, 0), 90) == utc(2026, 5, 29, 7, 30)

    def test_no_calendar_is_round_the_clock_in_utc(self):
        assert snapshot(None) is ALWAYS_OPEN
        assert businesstime.snapshot_by_id(None) is ALWAYS_OPEN
