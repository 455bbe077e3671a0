"""Work distribution: round-robin and load-based assignment of bursts of new cases, availability,
capacity, queue settings, and assign / take / forward."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from frontline.accounts.models import User
from frontline.audit.models import AuditEntry
from frontline.cases import assignment, events, services
from frontline.cases.choices import ACTIVE_CATEGORIES, AssignmentMode, MessageKind, StatusCategory
from frontline.cases.errors import CaseStateError
from frontline.cases.models import AgentCapacity, Case, Mention, Message, Queue
from frontline.core.errors import DomainError, FieldErrors, PermissionDeniedError

from .factories import CustomerFactory, MembershipFactory, TeamFactory, UserFactory, make_case

pytestmark = pytest.mark.django_db


def member(team: Any, username: str, *, availability: str = "online", lead: bool = False, **kw: Any) -> User:
    user = UserFactory(username=username, availability=availability, **kw)
    MembershipFactory(team=team, user=user, is_lead=lead)
    return user


def burst(team: Any, count: int, customer: Any = None) -> list[Case]:
    customer = customer or CustomerFactory()
    return [make_case(customer=customer, subject=f"Burst {i}", team_id=team.pk) for i in range(count)]


def assigned_counts(cases: list[Case]) -> dict[str | None, int]:
    rows = Case.objects.filter(pk__in=[c.pk for c in cases]).values_list("assignee__username", flat=True)
    return dict(Counter(rows))


def active_load(user: User) -> int:
    return Case.objects.filter(assignee=user, status_category__in=list(ACTIVE_CATEGORIES)).count()


@pytest.fixture
def team():
    return TeamFactory(name="Support", slug="support")


@pytest.fixture
def lead(team):
    return member(team, "isabella", role="lead", lead=True, availability="offline")


@pytest.fixture
def assigned_events():
    received: list[dict[str, Any]] = []

    def receiver(sender: Any, **kwargs: Any) -> None:
        received.append({k: kwargs[k] for k in ("case_id", "assignee_id", "team_id")})

    events.case_assigned.connect(receiver)
    yield received
    events.case_assigned.disconnect(receiver)


def queue(team: Any, mode: str, capacity: int = 25) -> Queue:
    return Queue.objects.create(team=team, assignment_mode=mode, default_capacity=capacity)


class TestRoundRobin:
    def test_a_burst_of_100_goes_25_to_each_online_agent(self, team):
        # given four online agents, one away and one offline in a round-robin queue
        agents = [member(team, name) for name in ("ana", "ben", "cat", "dan")]
        member(team, "eve", availability="away")
        member(team, "fay", availability="offline")
        queue(team, AssignmentMode.ROUND_ROBIN)

        # when 100 new cases arrive
        cases = burst(team, 100)

        # then each online agent has exactly 25, in turn, and the cases stay new
        assert assigned_counts(cases) == {"ana": 25, "ben": 25, "cat": 25, "dan": 25}
        first = [Case.objects.get(pk=c.pk).assignee.username for c in cases[:6]]
        assert first == ["ana", "ben", "cat", "dan", "ana", "ben"]
        assert set(
            Case.objects.filter(pk__in=[c.pk for c in cases]).values_list("status_category", flat=True)
        ) == {StatusCategory.NEW}
        assert Queue.objects.get(team=team).last_assigned == agents[3]
        entries = AuditEntry.objects.filter(verb="case.assigned")
        assert entries.count() == 100
        assert {e.data["mode"] for e in entries} == {"round_robin"}

    def test_availability_change_mid_burst_is_respected(self, team):
        # given four online agents in a round-robin queue who got 10 cases each
        member(team, "ana")
        member(team, "ben")
        cat = member(team, "cat", availability="away")
        dan = member(team, "dan")
        queue(team, AssignmentMode.ROUND_ROBIN)
        assignment.availability_set(user_id=cat.pk, by=cat, availability="online")
        first = burst(team, 40)
        assert assigned_counts(first) == {"ana": 10, "ben": 10, "cat": 10, "dan": 10}

        # when dan goes away and 60 more cases arrive
        assignment.availability_set(user_id=dan.pk, by=dan, availability="away")
        rest = burst(team, 60)

        # then the other three share them evenly and dan gets none
        assert assigned_counts(rest) == {"ana": 20, "ben": 20, "cat": 20}
        assert assigned_counts(first + rest) == {"ana": 30, "ben": 30, "cat": 30, "dan": 10}

    def test_continues_after_the_last_agent_served_and_skips_inactive_and_non_staff(self, team):
        member(team, "ana")
        ben = member(team, "ben")
        member(team, "cat", is_active=False)
        member(team, "dan", role="customer")
        member(team, "eve")
        Queue.objects.create(team=team, assignment_mode=AssignmentMode.ROUND_ROBIN, last_assigned=ben)

        cases = burst(team, 3)

        assert [Case.objects.get(pk=c.pk).assignee.username for c in cases] == ["eve", "ana", "ben"]

    def test_last_agent_served_who_left_the_team_still_anchors_the_order(self, team):
        member(team, "ana")
        member(team, "cat")
        gone = UserFactory(username="ben", availability="online")
        Queue.objects.create(team=team, assignment_mode=AssignmentMode.ROUND_ROBIN, last_assigned=gone)

        case = make_case(team_id=team.pk)

        assert Case.objects.get(pk=case.pk).assignee.username == "cat"

    def test_assignment_event_is_sent_after_commit(
        self, team, assigned_events, django_capture_on_commit_callbacks
    ):
        ana = member(team, "ana")
        queue(team, AssignmentMode.ROUND_ROBIN)

        with django_capture_on_commit_callbacks(execute=True):
            case = make_case(team_id=team.pk)

        assert assigned_events == [{"case_id": case.pk, "assignee_id": ana.pk, "team_id": team.pk}]


class TestLoadBased:
    def test_a_burst_of_100_fills_each_agent_to_capacity_and_leaves_the_rest_unassigned(self, team):
        # given agents with capacities 10, 20 and 40 (the queue default) and existing loads
        ana = member(team, "ana")
        ben = member(team, "ben")
        cat = member(team, "cat")
        dan = member(team, "dan", availability="away")
        AgentCapacity.objects.create(user=ana, capacity=10)
        AgentCapacity.objects.create(user=ben, capacity=20)
        AgentCapacity.objects.create(user=dan, capacity=50)
        queue(team, AssignmentMode.MANUAL, capacity=40)
        customer = CustomerFactory()
        for user, count in ((ana, 2), (ben, 5), (cat, 30)):
            for _ in range(count):
                make_case(customer=customer, team_id=team.pk, assignee_id=user.pk)
        done = make_case(customer=customer, team_id=team.pk, assignee_id=ana.pk)
        services.case_status_set(case_id=done.pk, by=ana, status="resolved")  # does not count
        Queue.objects.filter(team=team).update(assignment_mode=AssignmentMode.LOAD_BASED)

        # when 100 new cases arrive
        cases = burst(team, 100, customer)

        # then each agent is filled exactly to capacity, the away agent gets none,
        # and the rest wait unassigned in the team queue
        assert assigned_counts(cases) == {"ana": 8, "ben": 15, "cat": 10, None: 67}
        assert (active_load(ana), active_load(ben), active_load(cat), active_load(dan)) == (10, 20, 40, 0)
        assert Case.objects.filter(team=team, assignee=None, status_category=StatusCategory.NEW).count() == 67
        # the fewest-loaded agent got the first case
        assert Case.objects.get(pk=cases[0].pk).assignee == ana
        assert {e.data["mode"] for e in AuditEntry.objects.filter(verb="case.assigned")} == {"load_based"}

    def test_ties_go_to_who_got_a_case_longest_ago_then_availability_change_is_respected(self, team, lead):
        # given two online agents with 5 open cases each; ben got his last one before ana
        ana = member(team, "ana")
        ben = member(team, "ben")
        queue(team, AssignmentMode.LOAD_BASED, capacity=10)
        customer = CustomerFactory()
        for user in (ben, ana):
            for _ in range(5):
                case = make_case(customer=customer, team_id=team.pk)
                assignment.case_assign(case_id=case.pk, by=lead, assignee_id=user.pk)

        # when 4 cases arrive they alternate, starting with ben
        first = burst(team, 4, customer)
        assert [Case.objects.get(pk=c.pk).assignee.username for c in first] == ["ben", "ana", "ben", "ana"]

        # and when ben goes offline, ana alone is filled to capacity and the rest wait
        assignment.availability_set(user_id=ben.pk, by=lead, availability="offline")
        rest = burst(team, 6, customer)
        assert assigned_counts(rest) == {"ana": 3, None: 3}
        assert (active_load(ana), active_load(ben)) == (10, 7)

    def test_the_load_is_read_in_one_query_whatever_the_team_size(self, team):
        def queries_for_one_case(agent_count: int) -> int:
            squad = TeamFactory()
            for i in range(agent_count):
                member(squad, f"{squad.slug}-{i}")
            queue(squad, AssignmentMode.LOAD_BASED)
            case = make_case(team_id=None)
            Case.objects.filter(pk=case.pk).update(team=squad)
            case.refresh_from_db()
            with transaction.atomic(), CaptureQueriesContext(connection) as ctx:
                assert assignment.auto_assign(case=case, by=None) is not None
            return len(ctx.captured_queries)

        assert queries_for_one_case(2) == queries_for_one_case(9)


class TestManualAndEdgeCases:
    def test_without_queue_settings_the_case_waits_unassigned(self, team):
        member(team, "ana")

        case = make_case(team_id=team.pk)

        case.refresh_from_db()
        assert (case.assignee, case.team) == (None, team)
        assert not AuditEntry.objects.filter(verb="case.assigned").exists()

    def test_nobody_online_leaves_the_case_unassigned(
        self, team, assigned_events, django_capture_on_commit_callbacks
    ):
        member(team, "ana", availability="away")
        queue(team, AssignmentMode.ROUND_ROBIN)

        with django_capture_on_commit_callbacks(execute=True):
            case = make_case(team_id=team.pk)

        assert Case.objects.get(pk=case.pk).assignee is None
        assert assigned_events == []
        assert Queue.objects.get(team=team).last_assigned is None


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_intake_never_assigns_past_capacity():
    # given 12 waiting cases in a load-based queue of two online agents with room for 3 each
    team = TeamFactory()
    ana, ben = member(team, "ana"), member(team, "ben")
    queue(team, AssignmentMode.MANUAL, capacity=3)
    cases = burst(team, 12)
    Queue.objects.filter(team=team).update(assignment_mode=AssignmentMode.LOAD_BASED)
    start = threading.Barrier(len(cases))
    errors: list[BaseException] = []

    def assign(case_id: int) -> None:
        try:
            start.wait()
            with transaction.atomic():
                case = Case.objects.select_for_update().get(pk=case_id)
                assignment.auto_assign(case=case, by=None)
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connection.close()

    # when all of them are distributed at the same time by separate connections
    threads = [threading.Thread(target=assign, args=(c.pk,)) for c in cases]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # then each agent got exactly 3 and the rest still wait
    assert errors == []
    assert assigned_counts(cases) == {"ana": 3, "ben": 3, None: 6}
    assert (active_load(ana), active_load(ben)) == (3, 3)


class TestCaseAssign:
    def test_assigns_a_team_member_with_a_note(
        self, team, lead, assigned_events, django_capture_on_commit_callbacks
    ):
        ana = member(team, "ana")
        case = make_case(team_id=team.pk)

        with django_capture_on_commit_callbacks(execute=True):
            result = assignment.case_assign(
                case_id=case.pk, by=lead, assignee_id=ana.pk, note="VIP, call back today"
            )

        case.refresh_from_db()
        assert (result.assignee, case.assignee, case.team) == (ana, ana, team)
        assert case.assigned_at is not None
        assert case.status_category == StatusCategory.NEW
        note = case.messages.get(kind=MessageKind.NOTE)
        assert (note.body, note.author) == ("VIP, call back today", lead)
        entry = AuditEntry.objects.get(verb="case.assigned")
        assert entry.data == {"mode": "manual", "changes": {"assignee_id": [None, ana.pk]}}
        assert assigned_events == [{"case_id": case.pk, "assignee_id": ana.pk, "team_id": team.pk}]

    def test_assignee_outside_the_team_is_refused_and_nothing_changes(self, team, lead):
        outsider = UserFactory(username="omar", role="tech")
        case = make_case(team_id=team.pk)

        with pytest.raises(DomainError) as error:
            assignment.case_assign(case_id=case.pk, by=lead, assignee_id=outsider.pk, note="please")

        assert error.value.field == "assignee"
        case.refresh_from_db()
        assert (case.assignee, case.assigned_at, case.message_count) == (None, None, 1)
        assert not AuditEntry.objects.filter(verb__startswith="case.assigned").exists()

    def test_moves_to_another_team_and_unassigns(self, team, lead):
        ana = member(team, "ana")
        tech = TeamFactory(name="Tech", slug="tech")
        case = make_case(team_id=team.pk, assignee_id=ana.pk)

        assignment.case_assign(case_id=case.pk, by=lead, assignee_id=None, team_id=tech.pk)

        case.refresh_from_db()
        assert (case.team, case.assignee, case.assigned_at) == (tech, None, None)
        entry = AuditEntry.objects.get(verb="case.unassigned")
        assert entry.data["changes"] == {"team_id": [team.pk, tech.pk], "assignee_id": [ana.pk, None]}

    def test_unknown_team_and_merged_case_are_refused(self, team, lead):
        case = make_case(team_id=team.pk)
        with pytest.raises(DomainError) as error:
            assignment.case_assign(case_id=case.pk, by=lead, assignee_id=None, team_id=999_999)
        assert error.value.field == "team"

        survivor = make_case()
        Case.objects.filter(pk=case.pk).update(merged_into=survivor)
        with pytest.raises(CaseStateError):
            assignment.case_assign(case_id=case.pk, by=lead, assignee_id=lead.pk)
        assert Case.objects.get(pk=case.pk).assignee is None

    def test_a_role_without_the_assign_permission_is_refused(self, team):
        lena = member(team, "lena", role="logistics")
        case = make_case(team_id=team.pk)

        with pytest.raises(PermissionDeniedError):
            assignment.case_assign(case_id=case.pk, by=lena, assignee_id=lena.pk)
        assert Case.objects.get(pk=case.pk).assignee is None


class TestTake:
    def test_take_assigns_to_me_and_again_changes_nothing(self, team):
        ana = member(team, "ana")
        case = make_case(team_id=team.pk)

        assignment.case_take(case_id=case.pk, by=ana)
        assignment.case_take(case_id=case.pk, by=ana)

        assert Case.objects.get(pk=case.pk).assignee == ana
        entry = AuditEntry.objects.get(verb="case.assigned")
        assert entry.data == {"mode": "take", "changes": {"assignee_id": [None, ana.pk]}}

    def test_done_case_customer_and_outsider_are_refused(self, team):
        ana = member(team, "ana")
        outsider = UserFactory(username="omar", role="tech")
        customer_user = UserFactory(username="justine", role="customer")
        case = make_case(team_id=team.pk)

        with pytest.raises(PermissionDeniedError):
            assignment.case_take(case_id=case.pk, by=customer_user)
        with pytest.raises(DomainError) as error:
            assignment.case_take(case_id=case.pk, by=outsider)
        assert error.value.field == "assignee"
        services.case_status_set(case_id=case.pk, by=ana, status="resolved")
        with pytest.raises(CaseStateError):
            assignment.case_take(case_id=case.pk, by=ana)
        assert Case.objects.get(pk=case.pk).assignee is None
        assert not AuditEntry.objects.filter(verb="case.assigned").exists()


class TestForward:
    def test_forward_to_a_person_in_another_team_moves_the_case_and_mentions_them(self, team):
        sara = member(team, "sara")
        tech = TeamFactory(name="Tech", slug="tech")
        omar = member(tech, "omar", role="tech")
        case = make_case(team_id=team.pk, assignee_id=sara.pk)

        assignment.case_forward(case_id=case.pk, by=sara, note="Login fails after reset", assignee_id=omar.pk)

        case.refresh_from_db()
        assert (case.team, case.assignee) == (tech, omar)
        note = case.messages.get(kind=MessageKind.NOTE)
        assert note.body == "Forwarded to @omar (Tech): Login fails after reset"
        assert list(Mention.objects.filter(message=note).values_list("user__username", flat=True)) == ["omar"]
        entry = AuditEntry.objects.get(verb="case.forwarded")
        assert entry.data == {
            "from": {"team_id": team.pk, "assignee_id": sara.pk},
            "to": {"team_id": tech.pk, "assignee_id": omar.pk},
            "note": "Login fails after reset",
        }

    def test_forward_to_a_team_runs_its_automatic_assignment(self, team):
        sara = member(team, "sara")
        tech = TeamFactory(name="Tech", slug="tech")
        omar = member(tech, "omar", role="tech")
        member(tech, "olga", role="tech", availability="offline")
        queue(tech, AssignmentMode.ROUND_ROBIN)
        case = make_case(team_id=team.pk, assignee_id=sara.pk)

        assignment.case_forward(case_id=case.pk, by=sara, note="Needs the logs", team_id=tech.pk)

        case.refresh_from_db()
        assert (case.team, case.assignee) == (tech, omar)
        assert case.messages.get(kind=MessageKind.NOTE).body == "Forwarded to Tech: Needs the logs"
        assert AuditEntry.objects.get(verb="case.assigned").data["mode"] == "round_robin"

    def test_a_note_and_a_target_are_required(self, team):
        sara = member(team, "sara")
        case = make_case(team_id=team.pk)

        with pytest.raises(DomainError) as error:
            assignment.case_forward(case_id=case.pk, by=sara, note=" ", assignee_id=sara.pk)
        assert error.value.field == "note"
        with pytest.raises(DomainError) as error:
            assignment.case_forward(case_id=case.pk, by=sara, note="help")
        assert error.value.field == "assignee"
        assert Message.objects.filter(case=case, kind=MessageKind.NOTE).count() == 0
        assert not AuditEntry.objects.filter(verb="case.forwarded").exists()

    def test_a_person_in_several_other_teams_needs_a_team(self, team):
        sara = member(team, "sara")
        omar = member(TeamFactory(), "omar", role="tech")
        MembershipFactory(team=TeamFactory(), user=omar)
        case = make_case(team_id=team.pk)

        with pytest.raises(DomainError) as error:
            assignment.case_forward(case_id=case.pk, by=sara, note="help", assignee_id=omar.pk)

        assert error.value.field == "team"
        assert Case.objects.get(pk=case.pk).team == team


class TestSettings:
    def test_availability_is_validated_and_set_by_self_or_a_lead(self, team, lead):
        ana = member(team, "ana", availability="offline")
        ben = member(team, "ben")

        with pytest.raises(DomainError) as error:
            assignment.availability_set(user_id=ana.pk, by=ana, availability="busy")
        assert error.value.field == "availability"
        with pytest.raises(PermissionDeniedError):
            assignment.availability_set(user_id=ana.pk, by=ben, availability="online")
        assert User.objects.get(pk=ana.pk).availability == "offline"

        assignment.availability_set(user_id=ana.pk, by=lead, availability="online")

        assert User.objects.get(pk=ana.pk).availability == "online"
        entry = AuditEntry.objects.get(verb="user.availability_changed")
        assert (entry.actor, entry.data) == (lead, {"availability": ["offline", "online"]})

    def test_capacity_is_set_by_a_lead_and_cleared_back_to_the_queue_default(self, team, lead):
        ana = member(team, "ana")

        with pytest.raises(PermissionDeniedError):
            assignment.capacity_set(user_id=ana.pk, by=ana, capacity=99)
        with pytest.raises(DomainError) as error:
            assignment.capacity_set(user_id=ana.pk, by=lead, capacity=-1)
        assert error.value.field == "capacity"
        assert not AgentCapacity.objects.exists()

        row = assignment.capacity_set(user_id=ana.pk, by=lead, capacity=12)
        assert row is not None and AgentCapacity.objects.get(user=ana).capacity == 12
        assert assignment.capacity_set(user_id=ana.pk, by=lead, capacity=None) is None
        assert not AgentCapacity.objects.exists()
        data = [e.data for e in AuditEntry.objects.filter(verb="case.capacity_set").order_by("id")]
        assert data == [{"capacity": [None, 12]}, {"capacity": [12, None]}]

    def test_queue_is_configured_by_its_lead_with_valid_values(self, team, lead):
        agent = member(team, "ana")

        with pytest.raises(PermissionDeniedError):
            assignment.queue_configure(
                team_id=team.pk, by=agent, assignment_mode="round_robin", default_capacity=10
            )
        with pytest.raises(FieldErrors) as error:
            assignment.queue_configure(team_id=team.pk, by=lead, assignment_mode="random", default_capacity=0)
        assert set(error.value.errors) == {"assignment_mode", "default_capacity"}
        assert not Queue.objects.exists()

        queue_row = assignment.queue_configure(
            team_id=team.pk, by=lead, assignment_mode="load_based", default_capacity=15
        )

        assert (queue_row.assignment_mode, queue_row.default_capacity) == ("load_based", 15)
        entry = AuditEntry.objects.get(verb="queue.configured")
        assert entry.data == {
            "team_id": team.pk,
            "changes": {"assignment_mode": [None, "load_based"], "default_capacity": [None, 15]},
        }
