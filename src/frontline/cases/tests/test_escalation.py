"""SLA escalation levels (each fires once per breached clock, with two workers too) and the
escalation to technical support and back (the case keeps its SLA)."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection

from frontline.accounts.choices import Role
from frontline.accounts.models import Membership
from frontline.audit.models import AuditEntry
from frontline.cases import escalation, events, services, sla
from frontline.cases.choices import EscalationAction, MessageKind, SlaEventKind, SlaMetric
from frontline.cases.errors import CaseStateError
from frontline.cases.models import (
    BusinessCalendar,
    BusinessHours,
    Case,
    EscalationFiring,
    EscalationLevel,
    Holiday,
    Mention,
    Message,
    SlaClock,
    SlaEvent,
    SlaPolicy,
)
from frontline.core.errors import DomainError, PermissionDeniedError

from .factories import MembershipFactory, TeamFactory, UserFactory, make_case

BERLIN = ZoneInfo("Europe/Berlin")


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def berlin(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=BERLIN)


def at(moment: datetime) -> time_machine.travel:
    return time_machine.travel(moment, tick=False)


@pytest.fixture
def people(db):
    """Support (leads Isabella and Thomas, agent Sara), Technical support (Omar), an admin."""
    support = TeamFactory(name="Support", slug="support")
    tech = TeamFactory(name="Technical support", slug="tech")
    users = {
        "isabella": UserFactory(username="isabella", role=Role.LEAD),
        "thomas": UserFactory(username="thomas", role=Role.LEAD),
        "sara": UserFactory(username="sara", role=Role.AGENT),
        "omar": UserFactory(username="omar", role=Role.TECH),
        "admin": UserFactory(username="admin", role=Role.ADMIN),
    }
    MembershipFactory(team=support, user=users["isabella"], is_lead=True)
    MembershipFactory(team=support, user=users["thomas"], is_lead=True)
    MembershipFactory(team=support, user=users["sara"])
    MembershipFactory(team=tech, user=users["omar"])
    return {"support": support, "tech": tech, **users}


@pytest.fixture
def escalating(db):
    """High priority: first response within 60 minutes round the clock; then notify the leads,
    an hour later reassign to a lead, two hours later notify the managers."""
    policy = SlaPolicy.objects.create(
        name="Escalating", position=10, priorities=["high"], first_response_minutes=60, warn_before_minutes=0
    )
    for level, after, action in [
        (1, 0, EscalationAction.NOTIFY_LEAD),
        (2, 60, EscalationAction.REASSIGN_TO_LEAD),
        (3, 120, EscalationAction.NOTIFY_MANAGER),
    ]:
        EscalationLevel.objects.create(policy=policy, level=level, after_minutes=after, action=action)
    return policy


@pytest.fixture
def escalated_events():
    received: list[tuple[int, int, str]] = []
    lock = threading.Lock()

    def receiver(sender, case_id, level, action, **kwargs):
        with lock:
            received.append((case_id, level, action))

    events.case_escalated.connect(receiver, weak=False)
    yield received
    events.case_escalated.disconnect(receiver)


def open_high_priority_case(people) -> Case:
    with at(utc(2026, 5, 18, 9, 0)):
        return make_case(priority="high", team_id=people["support"].pk, assignee_id=people["sara"].pk)


def mentions() -> list[tuple[str, int]]:
    return sorted(
        (username, Mention.objects.filter(user__username=username).count())
        for username in Mention.objects.values_list("user__username", flat=True).distinct()
    )


HEADLINE = "SLA breached: First response was due 2026-05-18 10:00 (UTC)."


@pytest.mark.django_db
class TestEscalationLevels:
    def test_each_level_fires_once_at_its_time(
        self, people, escalating, escalated_events, django_capture_on_commit_callbacks
    ):
        # given a high-priority case of Sara's, first response due 10:00; Thomas has a case already
        with at(utc(2026, 5, 18, 8, 0)):
            make_case(team_id=people["support"].pk, assignee_id=people["thomas"].pk)
        case = open_high_priority_case(people)

        # when the sweep runs every half hour from the breach on, and twice at each moment
        results = []
        with django_capture_on_commit_callbacks(execute=True):
            for moment in [
                utc(2026, 5, 18, 10, 0, 30),
                utc(2026, 5, 18, 10, 30),
                utc(2026, 5, 18, 11, 0, 30),
                utc(2026, 5, 18, 11, 30),
                utc(2026, 5, 18, 12, 0, 30),
                utc(2026, 5, 18, 13, 0),
            ]:
                for _ in range(2):
                    results.append(sla.sla_sweep(moment).as_dict())

        # then the breach is recorded once and each level fires once, in order
        assert [r["breached"] for r in results] == [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
        assert [r["escalated"] for r in results] == [1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0]
        clock = SlaClock.objects.get(case=case, metric=SlaMetric.FIRST_RESPONSE)
        assert list(EscalationFiring.objects.order_by("level").values_list("clock", "level", "action")) == [
            (clock.pk, 1, "notify_lead"),
            (clock.pk, 2, "reassign_to_lead"),
            (clock.pk, 3, "notify_manager"),
        ]
        # and the thread says what happened, as Frontline, mentioning whom it notifies
        system = list(case.messages.filter(kind=MessageKind.SYSTEM).order_by("pk"))
        assert [(m.body, m.author, m.author_label, m.direction, m.channel) for m in system] == [
            (
                f"{HEADLINE} Escalation level 1: notifying @isabella, @thomas.",
                None,
                "Frontline",
                "internal",
                "system",
            ),
            (
                f"{HEADLINE} Escalation level 2: reassigned to @isabella.",
                None,
                "Frontline",
                "internal",
                "system",
            ),
            (
                f"{HEADLINE} Escalation level 3: notifying the managers @admin.",
                None,
                "Frontline",
                "internal",
                "system",
            ),
        ]
        assert [m.created_at for m in system] == [
            utc(2026, 5, 18, 10, 0, 30),
            utc(2026, 5, 18, 11, 0, 30),
            utc(2026, 5, 18, 12, 0, 30),
        ]
        assert mentions() == [("admin", 1), ("isabella", 2), ("thomas", 1)]
        # and the lead with fewer active cases got it, the level is on the case
        case.refresh_from_db()
        assert (case.assignee, case.escalation_level, case.sla_breached) == (people["isabella"], 3, True)
        assert [e.data["level"] for e in AuditEntry.objects.filter(verb="case.escalated").order_by("pk")] == [
            1,
            2,
            3,
        ]
        assigned = AuditEntry.objects.get(verb="case.assigned", target_id=str(case.pk))
        assert assigned.data["changes"] == {"assignee_id": [people["sara"].pk, people["isabella"].pk]}
        assert SlaEvent.objects.filter(case=case, kind=SlaEventKind.ESCALATED).count() == 3
        assert escalated_events == [
            (case.pk, 1, "notify_lead"),
            (case.pk, 2, "reassign_to_lead"),
            (case.pk, 3, "notify_manager"),
        ]

    def test_the_lead_already_holding_the_case_keeps_it(self, people, escalating):
        with at(utc(2026, 5, 18, 9, 0)):
            case = make_case(priority="high", team_id=people["support"].pk, assignee_id=people["thomas"].pk)
        sla.sla_sweep(utc(2026, 5, 18, 11, 0, 30))

        case.refresh_from_db()
        assert case.assignee == people["thomas"]
        assert not AuditEntry.objects.filter(verb="case.assigned").exists()
        assert case.messages.filter(kind=MessageKind.SYSTEM).order_by("pk").last().body == (
            f"{HEADLINE} Escalation level 2: reassigned to @thomas."
        )

    def test_without_a_team_lead_the_managers_are_told(self, people, escalating):
        with at(utc(2026, 5, 18, 9, 0)):
            case = make_case(priority="high")  # no team, nobody assigned

        sla.sla_sweep(utc(2026, 5, 18, 11, 0, 30))

        bodies = list(
            case.messages.filter(kind=MessageKind.SYSTEM).order_by("pk").values_list("body", flat=True)
        )
        assert bodies == [
            f"{HEADLINE} Escalation level 1: notifying @admin.",
            f"{HEADLINE} Escalation level 2: no team lead to reassign to; notifying @admin.",
        ]
        case.refresh_from_db()
        assert (case.assignee, case.escalation_level) == (None, 2)

    def test_a_clock_met_in_time_or_paused_never_escalates(self, people, escalating):
        answered = open_high_priority_case(people)
        waiting = open_high_priority_case(people)
        with at(utc(2026, 5, 18, 9, 30)):
            services.message_reply(case_id=answered.pk, by=people["sara"], body="On it.")
            services.case_status_set(case_id=waiting.pk, by=people["sara"], status="waiting-on-customer")

        result = sla.sla_sweep(utc(2026, 5, 19, 9, 0))

        assert result.as_dict() == {"breached": 0, "warned": 0, "escalated": 0}
        assert EscalationFiring.objects.count() == 0
        assert Message.objects.filter(kind=MessageKind.SYSTEM).count() == 0

    def test_minutes_after_breach_count_in_business_time(self, people):
        # given an office-hours policy whose level 2 comes an hour after the breach
        calendar = BusinessCalendar.objects.create(name="Berlin office", time_zone="Europe/Berlin")
        for weekday in range(5):
            BusinessHours.objects.create(calendar=calendar, weekday=weekday, opens=time(9), closes=time(17))
        Holiday.objects.create(calendar=calendar, date=date(2026, 5, 25), name="Whit Monday")
        policy = SlaPolicy.objects.create(
            name="Office", position=5, calendar=calendar, first_response_minutes=480, warn_before_minutes=0
        )
        EscalationLevel.objects.create(policy=policy, level=1, after_minutes=0, action="notify_lead")
        EscalationLevel.objects.create(policy=policy, level=2, after_minutes=60, action="notify_manager")
        with at(berlin(2026, 5, 22, 9, 0)):
            make_case(team_id=people["support"].pk)

        # when the first response breaches on Friday 17:00
        fired = [
            sla.sla_sweep(moment).escalated
            for moment in [
                berlin(2026, 5, 22, 17, 1),  # breach, level 1
                berlin(2026, 5, 22, 19, 0),  # Friday evening: no business time has passed
                berlin(2026, 5, 25, 10, 0),  # Whit Monday
                berlin(2026, 5, 26, 9, 59),
                berlin(2026, 5, 26, 10, 0),  # Tuesday 10:00: one business hour after the breach
            ]
        ]

        # then level 2 waits for an hour of business time
        assert fired == [1, 0, 0, 0, 1]


def _sweep_together(
    moments: list[datetime], workers: int = 2
) -> tuple[list[dict[str, int]], list[BaseException]]:
    """Run the sweep on ``workers`` threads (own database connections) at each moment at once."""
    barrier = threading.Barrier(workers)
    results: list[dict[str, int]] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def work() -> None:
        try:
            for moment in moments:
                barrier.wait(timeout=30)
                result = sla.sla_sweep(moment).as_dict()
                with lock:
                    results.append(result)
        except BaseException as error:  # pragma: no cover - reported by the test
            errors.append(error)
            barrier.abort()
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    return results, errors


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_workers_sweeping_at_once_fire_each_level_once(people, escalating, escalated_events):
    # given eight breaching high-priority cases
    cases = [open_high_priority_case(people) for _ in range(8)]

    # when two workers sweep at the same moments, every level's time included
    moments = [
        utc(2026, 5, 18, 10, 0, 30),
        utc(2026, 5, 18, 10, 0, 30),
        utc(2026, 5, 18, 11, 0, 30),
        utc(2026, 5, 18, 12, 0, 30),
        utc(2026, 5, 18, 12, 0, 30),
    ]
    results, errors = _sweep_together(moments)

    # then between them they recorded each breach once and fired each level once per case
    assert errors == []
    assert sum(r["breached"] for r in results) == 8
    assert sum(r["escalated"] for r in results) == 24
    assert SlaEvent.objects.filter(kind=SlaEventKind.BREACHED).count() == 8
    assert SlaEvent.objects.filter(kind=SlaEventKind.ESCALATED).count() == 24
    assert Message.objects.filter(kind=MessageKind.SYSTEM).count() == 24
    assert AuditEntry.objects.filter(verb="case.escalated").count() == 24
    assert Mention.objects.filter(user=people["admin"]).count() == 8
    for case in cases:
        levels = sorted(EscalationFiring.objects.filter(clock__case=case).values_list("level", flat=True))
        assert levels == [1, 2, 3]
        case.refresh_from_db()
        assert case.escalation_level == 3
        assert case.assignee in (people["isabella"], people["thomas"])
    assert sorted(escalated_events) == sorted(
        (c.pk, level, action)
        for c in cases
        for level, action in [(1, "notify_lead"), (2, "reassign_to_lead"), (3, "notify_manager")]
    )


# --- technical support ---------------------------------------------------------------------------


def clock_rows(case: Case) -> list[tuple]:
    return list(
        SlaClock.objects.filter(case=case)
        .order_by("pk")
        .values_list("pk", "metric", "due_at", "paused_at", "consumed_seconds", "stopped_at")
    )


def case_row(case: Case) -> tuple:
    return (
        Case.objects.filter(pk=case.pk)
        .values_list(
            "team",
            "assignee",
            "escalated_from_team",
            "escalated_from_assignee",
            "escalated_at",
            "message_count",
        )
        .get()
    )


@pytest.mark.django_db
class TestTechnicalSupport:
    @pytest.fixture
    def case(self, people):
        with at(utc(2026, 5, 18, 9, 0)):
            return make_case(
                subject="Cannot log in", team_id=people["support"].pk, assignee_id=people["sara"].pk
            )

    def test_escalate_and_return_keep_the_sla_clocks(self, people, case, django_capture_on_commit_callbacks):
        before = clock_rows(case)
        sla_events = SlaEvent.objects.filter(case=case).count()
        updated: list[dict] = []

        def on_update(sender, **kwargs):
            updated.append({"case_id": kwargs["case_id"], "fields": kwargs["fields"]})

        events.case_updated.connect(on_update, weak=False)
        try:
            # when Sara escalates it to technical support
            with at(utc(2026, 5, 18, 10, 0)), django_capture_on_commit_callbacks(execute=True):
                result = escalation.case_escalate_to_tech(
                    case_id=case.pk, by=people["sara"], reason="Reset link fails with error 500"
                )
        finally:
            events.case_updated.disconnect(on_update)

        # then it waits in the tech queue, remembering where it came from
        assert (result.team, result.assignee, result.escalated_from_team, result.escalated_from_assignee) == (
            people["tech"],
            None,
            people["support"],
            people["sara"],
        )
        assert result.escalated_at == utc(2026, 5, 18, 10, 0)
        note = case.messages.get(kind=MessageKind.NOTE)
        assert (note.body, note.author, note.direction) == (
            "Escalated to Technical support: Reset link fails with error 500",
            people["sara"],
            "internal",
        )
        entry = AuditEntry.objects.get(verb="case.escalated_to_tech")
        assert entry.data == {
            "reason": "Reset link fails with error 500",
            "from_team_id": people["support"].pk,
            "from_team": "Support",
            "from_assignee_id": people["sara"].pk,
            "to_team_id": people["tech"].pk,
            "to_team": "Technical support",
            "assignee_id": None,
            "note_id": note.pk,
        }
        assert entry.actor == people["sara"]
        assert updated == [{"case_id": case.pk, "fields": ["assignee", "escalated_at", "team"]}]
        # and the SLA did not notice
        assert clock_rows(case) == before
        assert SlaEvent.objects.filter(case=case).count() == sla_events

        # when Omar returns it
        with at(utc(2026, 5, 18, 11, 0)):
            back = escalation.case_return_from_tech(
                case_id=case.pk, by=people["omar"], reason="Token cache cleared"
            )

        # then it is Sara's again in Support, and the clocks still run as before
        assert (
            back.team,
            back.assignee,
            back.escalated_from_team,
            back.escalated_from_assignee,
            back.escalated_at,
        ) == (
            people["support"],
            people["sara"],
            None,
            None,
            None,
        )
        note = case.messages.filter(kind=MessageKind.NOTE).order_by("pk").last()
        assert note.body == "Returned from Technical support to Support (@sara): Token cache cleared"
        assert list(Mention.objects.filter(message=note).values_list("user__username", flat=True)) == ["sara"]
        returned = AuditEntry.objects.get(verb="case.returned_from_tech")
        assert (returned.data["to_team"], returned.data["assignee_id"], returned.actor) == (
            "Support",
            people["sara"].pk,
            people["omar"],
        )
        assert clock_rows(case) == before
        assert SlaEvent.objects.filter(case=case).count() == sla_events

    def test_escalate_to_a_named_agent_mentions_them(self, people, case):
        result = escalation.case_escalate_to_tech(
            case_id=case.pk, by=people["sara"], reason="Account locked", assignee_id=people["omar"].pk
        )
        assert result.assignee == people["omar"]
        note = case.messages.get(kind=MessageKind.NOTE)
        assert note.body == "Escalated to Technical support (@omar): Account locked"
        assert list(note.mentions.values_list("username", flat=True)) == ["omar"]

    def test_technical_support_slug_is_found_too(self, people, case):
        people["tech"].slug = "technical-support"
        people["tech"].save()
        result = escalation.case_escalate_to_tech(case_id=case.pk, by=people["sara"], reason="Needs logs")
        assert result.team == people["tech"]

    def test_return_without_the_former_agent_leaves_it_in_the_team_queue(self, people, case):
        escalation.case_escalate_to_tech(case_id=case.pk, by=people["sara"], reason="Needs logs")
        Membership.objects.filter(user=people["sara"], team=people["support"]).delete()

        back = escalation.case_return_from_tech(case_id=case.pk, by=people["omar"], reason="Done")

        assert (back.team, back.assignee) == (people["support"], None)

    def test_a_resolved_case_may_go_back(self, people, case):
        escalation.case_escalate_to_tech(case_id=case.pk, by=people["sara"], reason="Needs logs")
        services.case_status_set(case_id=case.pk, by=people["omar"], status="resolved")

        back = escalation.case_return_from_tech(
            case_id=case.pk, by=people["omar"], reason="Fixed, please confirm"
        )

        assert (back.team, back.assignee, back.status_category) == (
            people["support"],
            people["sara"],
            "resolved",
        )

    @pytest.mark.parametrize(
        ("prepare", "kwargs", "error", "field", "code"),
        [
            (None, {"reason": "   "}, DomainError, "reason", "invalid"),
            ("merged", {}, CaseStateError, "case", "merged"),
            ("closed", {}, CaseStateError, "case", "closed"),
            ("resolved", {}, CaseStateError, "case", "resolved"),
            ("escalated", {}, CaseStateError, "case", "already_escalated"),
            ("no_tech_team", {}, DomainError, "team", "invalid"),
            (None, {"team_id": 999_999}, DomainError, "team", "invalid"),
            ("same_team", {}, DomainError, "team", "invalid"),
            (None, {"assignee_id": "sara"}, DomainError, "assignee", "invalid"),
        ],
    )
    def test_escalation_refusals_change_nothing(self, people, case, prepare, kwargs, error, field, code):
        if prepare == "merged":
            Case.objects.filter(pk=case.pk).update(merged_into=make_case())
        elif prepare in ("closed", "resolved"):
            services.case_status_set(case_id=case.pk, by=people["sara"], status=prepare)
        elif prepare == "escalated":
            escalation.case_escalate_to_tech(case_id=case.pk, by=people["sara"], reason="First time")
        elif prepare == "no_tech_team":
            people["tech"].slug = "platform"
            people["tech"].save()
        elif prepare == "same_team":
            Case.objects.filter(pk=case.pk).update(team=people["tech"])
        if kwargs.get("assignee_id") == "sara":
            kwargs = {"assignee_id": people["sara"].pk}  # not in the tech team
        arguments = {"case_id": case.pk, "by": people["sara"], "reason": "Needs a developer", **kwargs}
        before, notes = case_row(case), Message.objects.filter(kind=MessageKind.NOTE).count()
        audits = AuditEntry.objects.filter(verb="case.escalated_to_tech").count()

        with pytest.raises(error) as raised:
            escalation.case_escalate_to_tech(**arguments)

        assert (raised.value.field, raised.value.code) == (field, code)
        assert case_row(case) == before
        assert Message.objects.filter(kind=MessageKind.NOTE).count() == notes
        assert AuditEntry.objects.filter(verb="case.escalated_to_tech").count() == audits

    @pytest.mark.parametrize(
        ("prepare", "reason", "field", "code"),
        [
            (None, "Done", "case", "not_escalated"),
            ("escalated", "", "reason", "invalid"),
            ("closed", "Done", "case", "closed"),
        ],
    )
    def test_return_refusals_change_nothing(self, people, case, prepare, reason, field, code):
        if prepare in ("escalated", "closed"):
            escalation.case_escalate_to_tech(case_id=case.pk, by=people["sara"], reason="Needs logs")
        if prepare == "closed":
            services.case_status_set(case_id=case.pk, by=people["omar"], status="closed")
        before, notes = case_row(case), Message.objects.filter(kind=MessageKind.NOTE).count()

        with pytest.raises(DomainError) as raised:
            escalation.case_return_from_tech(case_id=case.pk, by=people["omar"], reason=reason)

        assert (raised.value.field, raised.value.code) == (field, code)
        assert case_row(case) == before
        assert Message.objects.filter(kind=MessageKind.NOTE).count() == notes
        assert not AuditEntry.objects.filter(verb="case.returned_from_tech").exists()

    def test_a_role_without_the_escalate_permission_is_refused(self, people, case):
        lena = UserFactory(username="lena", role=Role.LOGISTICS)
        before = case_row(case)
        with pytest.raises(PermissionDeniedError):
            escalation.case_escalate_to_tech(case_id=case.pk, by=lena, reason="Please look")
        assert case_row(case) == before
