"""Resolution follow-up (seed 002): on resolve Frontline asks the customer to confirm; a reply
reopens the case; no reply in CASE_FOLLOW_UP_DAYS days closes it."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
import time_machine
from django.db import connection

from frontline.audit.models import AuditEntry
from frontline.cases import events, services, sla, tasks
from frontline.cases.choices import MessageKind, StatusCategory
from frontline.cases.models import Case, Message, SlaClock
from frontline.customers.models import Interaction

from .factories import CustomerFactory, UserFactory, make_case

pytestmark = pytest.mark.django_db


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def at(moment: datetime) -> time_machine.travel:
    return time_machine.travel(moment, tick=False)


@pytest.fixture
def agent():
    return UserFactory(username="sara")


@pytest.fixture
def case(agent):
    """Justine's login case, answered by Sara on Monday 18 May 2026 at 10:00."""
    customer = CustomerFactory(first_name="Justine", last_name="Harrington")
    with at(utc(2026, 5, 18, 9, 0)):
        case = make_case(customer=customer, subject="Cannot log in", body="The reset link fails.")
    with at(utc(2026, 5, 18, 10, 0)):
        services.message_reply(case_id=case.pk, by=agent, body="Please try again now.")
    return case


def resolve(case: Case, agent, when: datetime | None = None) -> None:
    with at(when or utc(2026, 5, 18, 12, 0)):
        services.case_status_set(case_id=case.pk, by=agent, status="resolved")


def follow_ups(case: Case) -> list[Message]:
    return list(case.messages.filter(data__automatic="follow_up").order_by("pk"))


class TestFollowUpStart:
    def test_resolving_asks_the_customer_to_confirm(self, case, agent, django_capture_on_commit_callbacks):
        added: list[dict] = []

        def receiver(sender, **kwargs):
            added.append({k: kwargs[k] for k in ("case_id", "kind", "direction")})

        events.message_added.connect(receiver, weak=False)
        try:
            with django_capture_on_commit_callbacks(execute=True):
                resolve(case, agent)
        finally:
            events.message_added.disconnect(receiver)

        # then one public reply written by Frontline asks for confirmation
        [message] = follow_ups(case)
        assert (message.kind, message.direction, message.channel, message.author, message.author_label) == (
            MessageKind.REPLY,
            "outbound",
            "web",
            None,
            "Frontline",
        )
        assert message.body == (
            "Hello Justine,\n\n"
            f"we have resolved your request #{case.reference} “Cannot log in”. Could you confirm that "
            "everything works for you now? If it does not, simply reply to this message and we will "
            "pick it up again.\n\n"
            "Without an answer from you we will close the request in 7 days.\n\n"
            "Your support team"
        )
        assert message.created_at == utc(2026, 5, 18, 12, 0)
        assert added == [{"case_id": case.pk, "kind": "reply", "direction": "outbound"}]
        # and the case waits a week for the answer, still resolved
        case.refresh_from_db()
        assert (case.follow_up_sent_at, case.follow_up_due_at, case.status_category) == (
            utc(2026, 5, 18, 12, 0),
            utc(2026, 5, 25, 12, 0),
            StatusCategory.RESOLVED,
        )
        assert case.message_count == 3
        entry = AuditEntry.objects.get(verb="case.follow_up_sent")
        assert (entry.actor, entry.data) == (
            agent,
            {"message_id": message.pk, "due_at": "2026-05-25T12:00:00+00:00"},
        )
        interaction = Interaction.objects.get(customer=case.customer, data__automatic="follow_up")
        assert (interaction.direction, interaction.is_internal, interaction.actor) == (
            "outbound",
            False,
            None,
        )

    def test_the_question_is_not_an_agent_response(self, agent):
        # given a case nobody answered
        with at(utc(2026, 5, 18, 9, 0)):
            case = make_case()

        # when it is resolved directly
        resolve(case, agent)

        # then the follow-up neither counts as a first response nor reopens the case
        case.refresh_from_db()
        assert (case.first_response_at, case.last_agent_reply_at, case.status_category) == (
            None,
            None,
            StatusCategory.RESOLVED,
        )
        first_response = SlaClock.objects.get(case=case, metric="first_response")
        assert first_response.met is None  # cancelled by the resolution, not met by the question
        assert len(follow_ups(case)) == 1

    def test_a_phone_case_is_followed_up_by_email(self, agent):
        with at(utc(2026, 5, 18, 9, 0)):
            case = make_case(channel="phone")
        resolve(case, agent)
        assert follow_ups(case)[0].channel == "email"

    def test_zero_days_switches_the_follow_up_off(self, case, agent, settings):
        settings.CASE_FOLLOW_UP_DAYS = 0
        resolve(case, agent)
        case.refresh_from_db()
        assert (case.follow_up_sent_at, case.follow_up_due_at) == (None, None)
        assert follow_ups(case) == []
        assert not AuditEntry.objects.filter(verb="case.follow_up_sent").exists()


class TestCustomerAnswer:
    def test_a_reply_reopens_the_case_and_cancels_the_automatic_close(self, case, agent):
        resolve(case, agent)

        with at(utc(2026, 5, 20, 8, 0)):
            services.message_receive_on_case(case_id=case.pk, body="Still cannot log in", channel="email")

        case.refresh_from_db()
        assert (case.status_category, case.follow_up_due_at, case.resolved_at) == (
            StatusCategory.OPEN,
            None,
            None,
        )
        assert AuditEntry.objects.filter(verb="case.reopened").count() == 1
        # and a week later nothing closes it
        assert sla.follow_up_sweep(utc(2026, 5, 26, 0, 0)) == 0
        case.refresh_from_db()
        assert case.status_category == StatusCategory.OPEN


class TestAutomaticClose:
    def test_unanswered_follow_up_closes_the_case_once_when_due(self, case, agent):
        resolve(case, agent)

        # when the sweep runs a minute before the due time, then at it, then again
        with at(utc(2026, 5, 25, 11, 59)):
            before = sla.follow_up_sweep()
        case.refresh_from_db()
        assert (before, case.status_category) == (0, StatusCategory.RESOLVED)
        assert not AuditEntry.objects.filter(verb="case.auto_closed").exists()

        with at(utc(2026, 5, 25, 12, 0)):
            closed = sla.follow_up_sweep()
            again = sla.follow_up_sweep()

        # then the case is closed by the system, once, with the reason in the history
        case.refresh_from_db()
        assert (closed, again) == (1, 0)
        assert (case.status_category, case.status.slug, case.closed_at, case.follow_up_due_at) == (
            StatusCategory.CLOSED,
            "closed",
            utc(2026, 5, 25, 12, 0),
            None,
        )
        entry = AuditEntry.objects.get(verb="case.auto_closed")
        assert (entry.actor, entry.actor_label, entry.data) == (
            None,
            "system",
            {
                "reason": "follow_up_unanswered",
                "follow_up_sent_at": "2026-05-18T12:00:00+00:00",
                "follow_up_due_at": "2026-05-25T12:00:00+00:00",
            },
        )
        assert (
            AuditEntry.objects.filter(verb="case.status_changed", actor=None, target_id=str(case.pk)).count()
            == 1
        )

    def test_the_task_runs_the_sweep(self, case, agent):
        resolve(case, agent)
        with at(utc(2026, 6, 1, 0, 0)):
            result = tasks.follow_up_sweep.enqueue()
        assert result.return_value == 1
        assert Case.objects.get(pk=case.pk).status_category == StatusCategory.CLOSED

    def test_cases_closed_or_merged_meanwhile_are_left_alone(self, agent):
        with at(utc(2026, 5, 18, 9, 0)):
            closed_by_hand, merged, survivor = make_case(), make_case(), make_case()
        for case in (closed_by_hand, merged):
            resolve(case, agent)
        with at(utc(2026, 5, 19, 9, 0)):
            services.case_status_set(case_id=closed_by_hand.pk, by=agent, status="closed")
        Case.objects.filter(pk=merged.pk).update(merged_into=survivor)
        audits = AuditEntry.objects.count()

        assert sla.follow_up_sweep(utc(2026, 6, 1, 0, 0)) == 0
        assert AuditEntry.objects.count() == audits
        assert Case.objects.get(pk=merged.pk).status_category == StatusCategory.RESOLVED


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_workers_close_each_case_once():
    # given six resolved cases whose follow-up went unanswered
    agent = UserFactory(username="sara")
    with at(utc(2026, 5, 18, 9, 0)):
        cases = [make_case() for _ in range(6)]
    for case in cases:
        resolve(case, agent)
    barrier = threading.Barrier(2)
    closed: list[int] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            barrier.wait(timeout=30)
            closed.append(sla.follow_up_sweep(utc(2026, 6, 1, 0, 0)))
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connection.close()

    # when two workers sweep at the same moment
    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    # then every case was closed once, by one of them
    assert errors == []
    assert sum(closed) == 6
    assert AuditEntry.objects.filter(verb="case.auto_closed").count() == 6
    assert set(
        Case.objects.filter(pk__in=[c.pk for c in cases]).values_list("status_category", flat=True)
    ) == {StatusCategory.CLOSED}
