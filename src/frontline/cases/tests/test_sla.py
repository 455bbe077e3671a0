"""SLA clocks with a frozen clock: policy selection, business hours, holidays, pauses, reopen,
policy changes, warnings and breaches, the read functions, the task, the admin."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import transaction

from frontline.accounts.choices import Role
from frontline.cases import services, sla, tasks
from frontline.cases.choices import SlaEventKind, SlaMetric
from frontline.cases.models import (
    BusinessCalendar,
    BusinessHours,
    Case,
    Category,
    Holiday,
    SlaClock,
    SlaEvent,
    SlaPolicy,
)
from frontline.config.schedule import SCHEDULE
from frontline.core.scheduling import ScheduleEntry

from .factories import CustomerFactory, UserFactory, make_case

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")
FR, NR, RES = SlaMetric.FIRST_RESPONSE, SlaMetric.NEXT_RESPONSE, SlaMetric.RESOLUTION


def berlin(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=BERLIN)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def at(moment: datetime) -> time_machine.travel:
    return time_machine.travel(moment, tick=False)


def clocks(case: Case) -> list[tuple]:
    return list(
        SlaClock.objects.filter(case=case)
        .order_by("pk")
        .values_list(
            "metric", "target_minutes", "due_at", "paused_at", "consumed_seconds", "stopped_at", "met"
        )
    )


def events(case: Case) -> list[tuple[str, str]]:
    return list(SlaEvent.objects.filter(case=case).order_by("at", "pk").values_list("metric", "kind"))


@pytest.fixture
def office():
    """Mon-Fri 09:00-17:00 Europe/Berlin; Whit Monday (25 May 2026) a holiday."""
    calendar = BusinessCalendar.objects.create(name="Berlin office", time_zone="Europe/Berlin")
    for weekday in range(5):
        BusinessHours.objects.create(calendar=calendar, weekday=weekday, opens=time(9), closes=time(17))
    Holiday.objects.create(calendar=calendar, date=date(2026, 5, 25), name="Whit Monday")
    return calendar


@pytest.fixture
def policy(office):
    """First response in 8 business hours, next response in 4, resolution in 40 (5 days)."""
    return SlaPolicy.objects.create(
        name="Office hours",
        position=10,
        calendar=office,
        first_response_minutes=480,
        next_response_minutes=240,
        resolution_minutes=2400,
        warn_before_minutes=60,
    )


@pytest.fixture
def agent():
    return UserFactory(username="sara")


class TestOpening:
    def test_case_opened_friday_17_00_is_due_tuesday_after_the_weekend_and_whit_monday(self, policy):
        # given the office calendar, Monday 25 May a holiday
        # when a case is opened on Friday 22 May 2026 at 17:00 in Berlin
        with at(berlin(2026, 5, 22, 17, 0)):
            case = make_case()

        # then first response is due Tuesday 17:00 CEST and resolution Monday 1 June 17:00 CEST
        start = utc(2026, 5, 22, 15, 0)
        assert clocks(case) == [
            (FR, 480, utc(2026, 5, 26, 15, 0), None, 0, None, None),
            (RES, 2400, utc(2026, 6, 1, 15, 0), None, 0, None, None),
        ]
        assert set(SlaClock.objects.filter(case=case).values_list("started_at", flat=True)) == {start}
        case.refresh_from_db()
        assert (case.sla_policy, case.sla_due_at, case.sla_paused, case.sla_breached) == (
            policy,
            utc(2026, 5, 26, 15, 0),
            False,
            False,
        )
        assert events(case) == [(FR, SlaEventKind.STARTED), (RES, SlaEventKind.STARTED)]
        started = SlaEvent.objects.filter(case=case, metric=FR).get()
        assert started.data == {
            "reason": "opened",
            "target_minutes": 480,
            "due_at": "2026-05-26T15:00:00+00:00",
            "paused": False,
        }

    def test_default_policy_counts_24_hours_round_the_clock(self):
        # given only the default policy (first response 24 h) on the 24/7 default calendar
        with at(utc(2026, 5, 22, 17, 0)):
            case = make_case()

        assert case.sla_policy == SlaPolicy.objects.get(name="Default")
        assert clocks(case)[0] == (FR, 1440, utc(2026, 5, 23, 17, 0), None, 0, None, None)

    def test_an_empty_target_starts_no_clock(self, policy):
        policy.resolution_minutes = None
        policy.save()
        with at(berlin(2026, 5, 18, 9, 0)):
            case = make_case()
        assert [c[0] for c in clocks(case)] == [FR]

    def test_no_matching_policy_starts_nothing(self):
        SlaPolicy.objects.update(is_active=False)
        case = make_case()
        case.refresh_from_db()
        assert (case.sla_policy, case.sla_due_at) == (None, None)
        assert SlaClock.objects.count() == 0
        assert SlaEvent.objects.count() == 0


class TestPolicySelection:
    @pytest.fixture
    def policies(self, office):
        login = Category.objects.create(name="Login", slug="login")
        vip = SlaPolicy.objects.create(name="VIP", position=1, first_response_minutes=60)
        vip.customer_tags.create(name="vip")
        SlaPolicy.objects.create(
            name="Urgent email",
            position=2,
            priorities=["urgent"],
            channels=["email"],
            first_response_minutes=120,
        )
        acme = SlaPolicy.objects.create(name="ACME", position=3, first_response_minutes=180)
        acme.organisations.create(name="ACME")
        logins = SlaPolicy.objects.create(name="Logins", position=4, first_response_minutes=240)
        logins.categories.add(login)
        SlaPolicy.objects.create(name="Switched off", position=0, is_active=False, first_response_minutes=1)
        return {"login": login}

    @pytest.mark.parametrize(
        ("customer", "fields", "expected"),
        [
            ({"tags": ["vip"]}, {}, "VIP"),
            ({"tags": ["vip"], "org": "ACME"}, {"priority": "urgent", "channel": "email"}, "VIP"),
            ({}, {"priority": "urgent", "channel": "email"}, "Urgent email"),
            ({}, {"priority": "urgent", "channel": "web"}, "Default"),
            ({}, {"priority": "high", "channel": "email"}, "Default"),
            ({"org": "ACME"}, {}, "ACME"),
            ({"tags": ["regular"]}, {"category": "login"}, "Logins"),
            ({}, {}, "Default"),
        ],
    )
    def test_first_active_policy_whose_conditions_all_hold(self, policies, customer, fields, expected):
        fields = dict(fields)
        if "category" in fields:
            fields["category_id"] = policies[fields.pop("category")].pk
        case = make_case(customer=CustomerFactory(**customer), **fields)
        assert case.sla_policy is not None
        assert case.sla_policy.name == expected

    def test_policy_change_retargets_keeping_the_consumed_time(self, policy, agent):
        # given a normal case opened Monday 18 May 09:00 under the office policy
        urgent = SlaPolicy.objects.create(
            name="Urgent",
            position=1,
            priorities=["urgent"],
            calendar=policy.calendar,
            first_response_minutes=120,
            resolution_minutes=480,
        )
        with at(berlin(2026, 5, 18, 9, 0)):
            case = make_case()

        # when an hour later it becomes urgent
        with at(berlin(2026, 5, 18, 10, 0)):
            services.case_update(case_id=case.pk, by=agent, changes={"priority": "urgent"})

        # then both clocks keep their hour and get the new targets; urgent has no next response
        case.refresh_from_db()
        assert case.sla_policy == urgent
        assert clocks(case) == [
            (FR, 120, utc(2026, 5, 18, 9, 0), None, 3600, None, None),
            (RES, 480, utc(2026, 5, 18, 15, 0), None, 3600, None, None),
        ]
        assert case.sla_due_at == utc(2026, 5, 18, 9, 0)
        retarget = SlaEvent.objects.filter(case=case, metric=FR).order_by("pk").last()
        assert retarget is not None
        assert (retarget.kind, retarget.data["reason"], retarget.data["previous_target_minutes"]) == (
            SlaEventKind.STARTED,
            "policy_changed",
            480,
        )

    def test_a_target_the_new_policy_lacks_is_cancelled(self, policy, agent):
        SlaPolicy.objects.create(name="Low", position=1, priorities=["low"], calendar=policy.calendar)
        with at(berlin(2026, 5, 18, 9, 0)):
            case = make_case()
        with at(berlin(2026, 5, 18, 10, 0)):
            services.case_update(case_id=case.pk, by=agent, changes={"priority": "low"})

        case.refresh_from_db()
        assert [(c[0], c[5], c[6]) for c in clocks(case)] == [
            (FR, utc(2026, 5, 18, 8, 0), None),
            (RES, utc(2026, 5, 18, 8, 0), None),
        ]
        assert (case.sla_due_at, case.sla_policy.name) == (None, "Low")
        assert events(case)[-2:] == [(FR, SlaEventKind.CANCELLED), (RES, SlaEventKind.CANCELLED)]


class TestResponses:
    def test_reply_in_time_meets_first_response(self, policy, agent):
        with at(berlin(2026, 5, 18, 9, 0)):
            case = make_case()
        with at(berlin(2026, 5, 18, 11, 0)):
            services.message_reply(case_id=case.pk, by=agent, body="Looking into it.")

        case.refresh_from_db()
        fr = SlaClock.objects.get(case=case, metric=FR)
        assert (fr.stopped_at, fr.met, fr.consumed_seconds, fr.breached_at) == (
            utc(2026, 5, 18, 9, 0),
            True,
            7200,
            None,
        )
        assert case.sla_due_at == utc(2026, 5, 22, 15, 0)  # resolution, 40 h from Monday 09:00
        assert events(case)[-1] == (FR, SlaEventKind.MET)

    def test_late_reply_is_met_late_and_recorded_as_a_breach_even_before_the_sweep(self, policy, agent):
        with at(berlin(2026, 5, 18, 9, 0)):
            case = make_case()
        with at(berlin(2026, 5, 18, 18, 0)):  # due 17:00; the office is closed, yet it is late
            services.message_reply(case_id=case.pk, by=agent, body="Sorry for the wait.")

        fr = SlaClock.objects.get(case=case, metric=FR)
        assert (fr.met, fr.breached_at) == (False, utc(2026, 5, 18, 15, 0))
        assert events(case)[-2:] == [(FR, SlaEventKind.BREACHED), (FR, SlaEventKind.MET)]
        case.refresh_from_db()
        assert case.sla_breached is False  # resolution is still in time

    def test_internal_note_is_not_a_response(self, policy, agent):
        with at(berlin(2026, 5, 18, 9, 0)):
            case = make_case()
            services.message_reply(case_id=case.pk, by=agent, body="Checking logs", internal=True)
        assert SlaClock.objects.get(case=case, metric=FR).stopped_at is None
        assert events(case) == [(FR, SlaEventKind.STARTED), (RES, SlaEventKind.STARTED)]

    def test_outbound_call_meets_first_response(self, policy, agent):
        with at(berlin(2026, 5, 18, 9, 0)):
            case = make_case()
        with at(berlin(2026, 5, 18, 9, 30)):
            services.call_log(
                case_id=case.pk,
                by=agent,
                direction="outbound",
                duration_seconds=120,
                summary="Called back",
                outcome="resolved",
            )
        fr = SlaClock.objects.get(case=case, metric=FR)
        assert (fr.stopped_at, fr.met) == (utc(2026, 5, 18, 7, 30), True)

    def test_customer_message_after_a_reply_starts_next_response_which_the_next_reply_meets(
        self, policy, agent
    ):
        with at(berlin(2026, 5, 18, 9, 0)):
            case = make_case()
            services.message_receive_on_case(case_id=case.pk, body="Any news?", channel="email")
        assert not SlaClock.objects.filter(case=case, metric=NR).exists()  # nobody answered yet

        with at(berlin(2026, 5, 18, 10, 0)):
            services.message_reply(case_id=case.pk, by=agent, body="Checking.")
        # when the customer writes again at 15:00: four business hours run to Tuesday 11:00
        with at(berlin(2026, 5, 18, 15, 0)):
            services.message_receive_on_case(case_id=case.pk, body="Still nothing", channel="email")

        nr = SlaClock.objects.get(case=case, metric=NR)
        assert (nr.started_at, nr.due_at, nr.stopped_at) == (
            utc(2026, 5, 18, 13, 0),
            utc(2026, 5, 19, 9, 0),
            None,
        )
        case.refresh_from_db()
        assert case.sla_due_at == utc(2026, 5, 19, 9, 0)

        with at(berlin(2026, 5, 19, 9, 30)):
            services.message_reply(case_id=case.pk, by=agent, body="Found it.")
        nr.refresh_from_db()
        assert (nr.met, nr.consumed_seconds) == (True, 9000)  # 2 h on Monday, 30 min on Tuesday


class TestPauseAndResume:
    def test_waiting_on_customer_over_the_weekend_and_whit_monday(self, policy, agent):
        # given a case opened Thursday 21 May 09:00
        with at(berlin(2026, 5, 21, 9, 0)):
            case = make_case()

        # when on Friday 13:00 the agent asks the customer and waits for them
        with at(berlin(2026, 5, 22, 13, 0)):
            services.message_reply(
                case_id=case.pk, by=agent, body="Which browser?", status="waiting-on-customer"
            )

        # then resolution pauses with 12 business hours consumed (Thursday 8, Friday 4)
        case.refresh_from_db()
        res = SlaClock.objects.get(case=case, metric=RES)
        assert (res.paused_at, res.consumed_seconds) == (utc(2026, 5, 22, 11, 0), 12 * 3600)
        assert (case.sla_paused, case.sla_due_at) == (True, None)

        # when the customer answers on Tuesday 11:00 (Monday a holiday)
        with at(berlin(2026, 5, 26, 11, 0)):
            services.message_receive_on_case(case_id=case.pk, body="Firefox", channel="email")

        # then resolution resumes with its 28 hours left: due Friday 29 May 15:00 CEST
        res.refresh_from_db()
        assert (res.paused_at, res.due_at, res.consumed_seconds) == (None, utc(2026, 5, 29, 13, 0), 12 * 3600)
        # and next response runs from the customer's answer: due Tuesday 15:00 CEST
        nr = SlaClock.objects.get(case=case, metric=NR)
        assert (nr.due_at, nr.paused_at) == (utc(2026, 5, 26, 13, 0), None)
        case.refresh_from_db()
        assert (case.sla_paused, case.sla_due_at, case.status_category) == (
            False,
            utc(2026, 5, 26, 13, 0),
            "open",
        )
        resumed = SlaEvent.objects.get(case=case, metric=RES, kind=SlaEventKind.RESUMED)
        assert resumed.data == {
            "due_at": "2026-05-29T13:00:00+00:00",
            "remaining_seconds": 28 * 3600,
            "paused_seconds": 94 * 3600,
        }
        assert [e for e in events(case) if e[0] == RES] == [
            (RES, SlaEventKind.STARTED),
            (RES, SlaEventKind.PAUSED),
            (RES, SlaEventKind.RESUMED),
        ]

    def test_a_case_opened_in_the_dst_week_is_due_in_summer_time(self, policy):
        with at(berlin(2026, 3, 27, 16, 0)):
            case = make_case()
        assert clocks(case)[0][2] == utc(2026, 3, 30, 14, 0)  # Monday 16:00 CEST


class TestResolveAndReopen:
    def test_resolve_meets_resolution_and_reopen_restarts_from_the_consumed_time(self, policy, agent):
        # given a case answered at 10:00 and resolved at 13:00 on Monday 18 May
        with at(berlin(2026, 5, 18, 9, 0)):
            case = make_case()
        with at(berlin(2026, 5, 18, 10, 0)):
            services.message_reply(case_id=case.pk, by=agent, body="Try this.")
        with at(berlin(2026, 5, 18, 13, 0)):
            services.case_status_set(case_id=case.pk, by=agent, status="resolved")

        res = SlaClock.objects.get(case=case, metric=RES)
        assert (res.stopped_at, res.met, res.consumed_seconds) == (utc(2026, 5, 18, 11, 0), True, 4 * 3600)
        case.refresh_from_db()
        assert (case.sla_due_at, case.sla_paused, case.sla_breached) == (None, False, False)

        # when the customer answers on Wednesday 10:00 that it still fails
        with at(berlin(2026, 5, 20, 10, 0)):
            services.message_receive_on_case(case_id=case.pk, body="Still broken", channel="email")

        # then the same resolution clock runs again with 36 hours left: Wed 7, Thu 8, Fri 8,
        # (Monday a holiday) Tue 8, Wed 5 -> Wednesday 27 May 14:00 CEST
        res.refresh_from_db()
        assert (res.stopped_at, res.met, res.consumed_seconds, res.due_at) == (
            None,
            None,
            4 * 3600,
            utc(2026, 5, 27, 12, 0),
        )
        assert SlaClock.objects.filter(case=case, metric=RES).count() == 1
        restarted = SlaEvent.objects.filter(case=case, metric=RES).order_by("pk").last()
        assert restarted is not None
        assert (restarted.kind, restarted.data["reason"]) == (SlaEventKind.STARTED, "reopened")
        # and the customer waits for an answer: next response due Wednesday 14:00 CEST
        assert SlaClock.objects.get(case=case, metric=NR).due_at == utc(2026, 5, 20, 12, 0)

    def test_resolving_cancels_an_unanswered_first_response(self, policy, agent):
        with at(berlin(2026, 5, 18, 9, 0)):
            case = make_case()
        with at(berlin(2026, 5, 18, 9, 30)):
            services.case_status_set(case_id=case.pk, by=agent, status="resolved")
        assert [(c[0], c[5], c[6]) for c in clocks(case)] == [
            (FR, utc(2026, 5, 18, 7, 30), None),
            (RES, utc(2026, 5, 18, 7, 30), True),
        ]
        assert events(case)[-2:] == [(FR, SlaEventKind.CANCELLED), (RES, SlaEventKind.MET)]


class TestCancel:
    def test_clocks_cancel_stops_every_open_clock_without_a_result(self, policy):
        with at(berlin(2026, 5, 18, 9, 0)):
            case = make_case()

        with transaction.atomic():
            locked = Case.objects.select_for_update().get(pk=case.pk)
            cancelled = sla.clocks_cancel(
                case=locked, at=berlin(2026, 5, 18, 10, 0), reason="merged", data={"survivor_id": 42}
            )

        assert cancelled == list(
            SlaClock.objects.filter(case=case).order_by("pk").values_list("pk", flat=True)
        )
        assert [(c[0], c[4], c[5], c[6]) for c in clocks(case)] == [
            (FR, 3600, utc(2026, 5, 18, 8, 0), None),
            (RES, 3600, utc(2026, 5, 18, 8, 0), None),
        ]
        assert (
            list(
                SlaEvent.objects.filter(case=case, kind=SlaEventKind.CANCELLED).values_list("data", flat=True)
            )
            == [{"survivor_id": 42, "reason": "merged", "in_time": None, "consumed_seconds": 3600}] * 2
        )
        case.refresh_from_db()
        assert (case.sla_due_at, case.sla_paused, case.sla_breached) == (None, False, False)
        assert sla.clocks_cancel(case=case, at=berlin(2026, 5, 18, 11, 0), reason="again") == []


class TestSweep:
    def test_warning_and_breach_fire_once(self, policy):
        # given a case opened Monday 18 May 09:00, first response due 17:00, warn 60 min before
        with at(berlin(2026, 5, 18, 9, 0)):
            case = make_case()

        # when the sweep runs before, inside the warning window (twice), and after the due time (twice)
        results = [
            sla.sla_sweep(berlin(2026, 5, 18, 15, 59)).as_dict(),
            sla.sla_sweep(berlin(2026, 5, 18, 16, 0)).as_dict(),
            sla.sla_sweep(berlin(2026, 5, 18, 16, 1)).as_dict(),
            sla.sla_sweep(berlin(2026, 5, 18, 17, 1)).as_dict(),
            sla.sla_sweep(berlin(2026, 5, 18, 17, 2)).as_dict(),
        ]

        # then one warning at 16:00 and one breach, dated at the due time
        assert results == [
            {"breached": 0, "warned": 0, "escalated": 0},
            {"breached": 0, "warned": 1, "escalated": 0},
            {"breached": 0, "warned": 0, "escalated": 0},
            {"breached": 1, "warned": 0, "escalated": 0},
            {"breached": 0, "warned": 0, "escalated": 0},
        ]
        fr = SlaClock.objects.get(case=case, metric=FR)
        assert (fr.warned_at, fr.breached_at) == (utc(2026, 5, 18, 14, 0), utc(2026, 5, 18, 15, 0))
        assert [e for e in events(case) if e[0] == FR] == [
            (FR, SlaEventKind.STARTED),
            (FR, SlaEventKind.WARNED),
            (FR, SlaEventKind.BREACHED),
        ]
        breach = SlaEvent.objects.get(case=case, kind=SlaEventKind.BREACHED)
        assert breach.data == {
            "due_at": "2026-05-18T15:00:00+00:00",
            "detected_at": "2026-05-18T15:01:00+00:00",
        }
        case.refresh_from_db()
        assert (case.sla_breached, case.sla_due_at) == (True, utc(2026, 5, 18, 15, 0))

    def test_the_warning_counts_business_time_across_the_weekend(self, policy):
        # given first response due Monday 11:00 (opened Friday 15 May 11:00: 6 h Friday, 2 h Monday)
        with at(berlin(2026, 5, 15, 11, 0)):
            case = make_case()
        assert clocks(case)[0][2] == utc(2026, 5, 18, 9, 0)

        # then on Friday 16:30 (2.5 business hours left) and Saturday (2 h left) there is no warning
        assert sla.sla_sweep(berlin(2026, 5, 15, 16, 30)).warned == 0
        assert sla.sla_sweep(berlin(2026, 5, 16, 12, 0)).warned == 0
        # and on Monday 10:00 (one business hour left) there is
        assert sla.sla_sweep(berlin(2026, 5, 18, 10, 0)).warned == 1

    def test_paused_clocks_are_neither_warned_nor_breached(self, policy, agent):
        with at(berlin(2026, 5, 18, 9, 0)):
            case = make_case()
            services.message_reply(
                case_id=case.pk, by=agent, body="Which order?", status="waiting-on-customer"
            )

        result = sla.sla_sweep(berlin(2026, 6, 30, 12, 0))

        assert result.as_dict() == {"breached": 0, "warned": 0, "escalated": 0}
        assert SlaEvent.objects.filter(kind__in=[SlaEventKind.WARNED, SlaEventKind.BREACHED]).count() == 0

    def test_the_task_runs_the_sweep_and_both_sweeps_are_scheduled(self, policy):
        with at(berlin(2026, 5, 18, 9, 0)):
            make_case()
        with at(berlin(2026, 5, 18, 17, 30)):
            result = tasks.sla_sweep.enqueue()
        assert result.return_value == {"breached": 1, "warned": 0, "escalated": 0}
        assert ScheduleEntry("cases-sla-sweep", "frontline.cases.tasks.sla_sweep", 60) in SCHEDULE
        assert (
            ScheduleEntry("cases-follow-up-sweep", "frontline.cases.tasks.follow_up_sweep", 600) in SCHEDULE
        )


class TestReading:
    def test_sla_state_shows_each_metric_with_business_time_left(self, policy, agent):
        # given a case answered, then waiting for the customer's second message's answer
        with at(berlin(2026, 5, 18, 9, 0)):
            case = make_case()
        with at(berlin(2026, 5, 18, 10, 0)):
            services.message_reply(case_id=case.pk, by=agent, body="Hello")
        with at(berlin(2026, 5, 18, 16, 0)):
            services.message_receive_on_case(case_id=case.pk, body="Hi again", channel="email")

        # when read on Tuesday 09:30
        states = sla.sla_state(case, now=berlin(2026, 5, 19, 9, 30))

        # then (NR due Tuesday 12:00: 2.5 h left; resolution due Friday 17:00)
        assert [
            (s.metric, s.due_at, s.remaining_seconds, s.paused, s.breached, s.met, s.running) for s in states
        ] == [
            (FR, utc(2026, 5, 18, 15, 0), 7 * 3600, False, False, True, False),
            (NR, utc(2026, 5, 19, 10, 0), 9000, False, False, None, True),
            (RES, utc(2026, 5, 22, 15, 0), 8 * 3600 * 4 - 1800, False, False, None, True),
        ]
        assert [s.label for s in states] == ["First response", "Next response", "Resolution"]

    def test_sla_state_of_a_breached_and_a_paused_clock(self, policy, agent):
        with at(berlin(2026, 5, 18, 9, 0)):
            case = make_case()
        sla.sla_sweep(berlin(2026, 5, 18, 17, 30))
        with at(berlin(2026, 5, 19, 10, 0)):
            services.case_status_set(case_id=case.pk, by=agent, status="waiting-on-customer")

        states = sla.sla_state(case, now=berlin(2026, 5, 20, 12, 0))

        # first response (paused after breaching): one business hour over; resolution: 9 h used
        assert [(s.metric, s.due_at, s.remaining_seconds, s.paused, s.breached) for s in states] == [
            (FR, None, -3600, True, True),
            (RES, None, 31 * 3600, True, False),
        ]

    def test_sla_history_lists_every_event_in_order(self, policy, agent):
        with at(berlin(2026, 5, 18, 9, 0)):
            case = make_case()
        with at(berlin(2026, 5, 18, 10, 0)):
            services.case_status_set(case_id=case.pk, by=agent, status="waiting-on-customer")
        with at(berlin(2026, 5, 18, 11, 0)):
            services.case_status_set(case_id=case.pk, by=agent, status="open")

        history = sla.sla_history(case)

        assert [(h.at, h.metric, h.kind) for h in history] == [
            (utc(2026, 5, 18, 7, 0), FR, "started"),
            (utc(2026, 5, 18, 7, 0), RES, "started"),
            (utc(2026, 5, 18, 8, 0), FR, "paused"),
            (utc(2026, 5, 18, 8, 0), RES, "paused"),
            (utc(2026, 5, 18, 9, 0), FR, "resumed"),
            (utc(2026, 5, 18, 9, 0), RES, "resumed"),
        ]
        assert (history[2].kind_label, history[2].metric_label) == ("Paused", "First response")
        assert history[4].data == {
            "due_at": "2026-05-19T08:00:00+00:00",  # 7 h left from Monday 11:00: Tuesday 10:00 CEST
            "remaining_seconds": 7 * 3600,
            "paused_seconds": 3600,
        }


class TestAdmin:
    @pytest.fixture
    def admin_client(self, client):
        client.force_login(UserFactory(username="admin", role=Role.ADMIN))
        return client

    @pytest.mark.parametrize(
        "model",
        [
            "casestatus",
            "category",
            "customfield",
            "businesscalendar",
            "slapolicy",
            "queue",
            "agentcapacity",
            "macro",
        ],
    )
    def test_lists_and_add_forms_render(self, admin_client, model):
        assert admin_client.get(f"/admin/cases/{model}/").status_code == 200
        assert admin_client.get(f"/admin/cases/{model}/add/").status_code == 200

    def test_policy_with_conditions_and_escalation_levels_is_saved(self, admin_client, office):
        data = {
            "name": "Gold",
            "position": "5",
            "is_active": "on",
            "priorities": ["urgent", "high"],
            "channels": ["email"],
            "calendar": str(office.pk),
            "first_response_minutes": "60",
            "next_response_minutes": "",
            "resolution_minutes": "600",
            "warn_before_minutes": "15",
            "escalation_levels-TOTAL_FORMS": "1",
            "escalation_levels-INITIAL_FORMS": "0",
            "escalation_levels-MIN_NUM_FORMS": "0",
            "escalation_levels-MAX_NUM_FORMS": "1000",
            "escalation_levels-0-level": "1",
            "escalation_levels-0-after_minutes": "0",
            "escalation_levels-0-action": "notify_lead",
        }
        response = admin_client.post("/admin/cases/slapolicy/add/", data)
        assert response.status_code == 302, response.content.decode()[:2000]
        gold = SlaPolicy.objects.get(name="Gold")
        assert (gold.priorities, gold.channels, gold.next_response_minutes) == (
            ["high", "urgent"],
            ["email"],
            None,
        )
        assert list(gold.escalation_levels.values_list("level", "action")) == [(1, "notify_lead")]

    def test_calendar_with_an_unknown_time_zone_is_refused(self, admin_client):
        data = {
            "name": "Mars",
            "time_zone": "Mars/Olympus",
            "hours-TOTAL_FORMS": "0",
            "hours-INITIAL_FORMS": "0",
            "hours-MIN_NUM_FORMS": "0",
            "hours-MAX_NUM_FORMS": "1000",
            "holidays-TOTAL_FORMS": "0",
            "holidays-INITIAL_FORMS": "0",
            "holidays-MIN_NUM_FORMS": "0",
            "holidays-MAX_NUM_FORMS": "1000",
        }
        response = admin_client.post("/admin/cases/businesscalendar/add/", data)
        assert response.status_code == 200
        assert "Unknown time zone Mars/Olympus." in response.content.decode()
        assert not BusinessCalendar.objects.filter(name="Mars").exists()
