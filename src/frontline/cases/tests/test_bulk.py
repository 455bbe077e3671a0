"""Bulk actions go through the single-case services, one savepoint per case."""

from __future__ import annotations

from typing import Any

import pytest

from frontline.audit.models import AuditEntry
from frontline.cases import bulk, events
from frontline.cases.bulk import BulkResult
from frontline.cases.choices import StatusCategory
from frontline.cases.models import Case
from frontline.core.errors import DomainError, PermissionDeniedError

from .factories import CustomerFactory, MembershipFactory, TeamFactory, UserFactory, make_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def team():
    return TeamFactory(name="Support", slug="support")


@pytest.fixture
def isabella(team):
    user = UserFactory(username="isabella", role="lead")
    MembershipFactory(team=team, user=user, is_lead=True)
    return user


@pytest.fixture
def ana(team):
    user = UserFactory(username="ana")
    MembershipFactory(team=team, user=user)
    return user


@pytest.fixture
def assigned_events():
    received: list[int] = []

    def receiver(sender: Any, **kwargs: Any) -> None:
        received.append(kwargs["case_id"])

    events.case_assigned.connect(receiver)
    yield received
    events.case_assigned.disconnect(receiver)


def merged_into(survivor: Case, victim: Case) -> None:
    Case.objects.filter(pk=victim.pk).update(merged_into=survivor)


class TestAssign:
    def test_one_bad_case_is_reported_and_the_others_are_kept(
        self, team, isabella, ana, assigned_events, django_capture_on_commit_callbacks
    ):
        # given three cases of the team, one of them merged away
        first, second, gone = (make_case(team_id=team.pk) for _ in range(3))
        merged_into(first, gone)

        # when they are assigned to Ana in bulk (with a missing id among them)
        with django_capture_on_commit_callbacks(execute=True):
            result = bulk.cases_bulk(
                by=isabella,
                case_ids=[first.pk, gone.pk, second.pk, 999_999, first.pk],
                action="assign",
                params={"assignee_id": ana.pk, "note": "Yours today"},
            )

        # then the good ones are assigned, each through case_assign (note, audit, event)
        assert result == BulkResult(
            done=[first.pk, second.pk],
            failed={
                gone.pk: f"This case was merged into #{first.reference}; work on that case.",
                999_999: "No such case.",
            },
        )
        assert list(Case.objects.filter(assignee=ana).order_by("pk").values_list("pk", flat=True)) == [
            first.pk,
            second.pk,
        ]
        assert Case.objects.get(pk=gone.pk).assignee is None
        assert Case.objects.get(pk=first.pk).messages.filter(kind="note", body="Yours today").count() == 1
        assert AuditEntry.objects.filter(verb="case.assigned").count() == 2
        assert assigned_events == [first.pk, second.pk]
        summary = AuditEntry.objects.get(verb="case.bulk")
        assert summary.data == {
            "action": "assign",
            "params": {"assignee_id": ana.pk},
            "done": [first.pk, second.pk],
            "failed": {
                str(gone.pk): f"This case was merged into #{first.reference}; work on that case.",
                "999999": "No such case.",
            },
        }

    def test_an_assignee_outside_the_team_fails_the_request_before_any_case(self, team, isabella):
        outsider = UserFactory(username="omar")
        case = make_case(team_id=team.pk)

        with pytest.raises(DomainError) as error:
            bulk.cases_bulk(
                by=isabella,
                case_ids=[case.pk],
                action="assign",
                params={"assignee_id": outsider.pk, "team_id": team.pk},
            )

        assert error.value.field == "assignee"
        assert Case.objects.get(pk=case.pk).assignee is None
        assert not AuditEntry.objects.filter(verb__in=["case.assigned", "case.bulk"]).exists()


class TestStatusAndTags:
    def test_status_for_every_case_and_an_unknown_status_changes_nothing(self, isabella):
        first, second, gone = make_case(), make_case(), make_case()
        merged_into(first, gone)

        with pytest.raises(DomainError) as error:
            bulk.cases_bulk(by=isabella, case_ids=[first.pk], action="status", params={"status": "nonsense"})
        assert error.value.field == "status"
        assert Case.objects.get(pk=first.pk).status_category == StatusCategory.NEW

        result = bulk.cases_bulk(
            by=isabella,
            case_ids=[first.pk, second.pk, gone.pk],
            action="status",
            params={"status": "on-hold"},
        )

        assert result == BulkResult(
            done=[first.pk, second.pk], failed={gone.pk: "A merged case keeps its status."}
        )
        assert set(
            Case.objects.filter(pk__in=[first.pk, second.pk]).values_list("status__slug", flat=True)
        ) == {"on-hold"}
        assert AuditEntry.objects.filter(verb="case.status_changed").count() == 2

    def test_tags_are_added_and_removed_per_case(self, isabella):
        first, second = make_case(), make_case()
        bulk.cases_bulk(by=isabella, case_ids=[first.pk], action="tag", params={"add": ["delay", "dhl"]})

        result = bulk.cases_bulk(
            by=isabella,
            case_ids=[first.pk, second.pk],
            action="tag",
            params={"add": ["Priority-Customer"], "remove": ["dhl"]},
        )

        assert result == BulkResult(done=[first.pk, second.pk], failed={})
        assert sorted(Case.objects.get(pk=first.pk).tags.values_list("name", flat=True)) == [
            "delay",
            "priority-customer",
        ]
        assert list(Case.objects.get(pk=second.pk).tags.values_list("name", flat=True)) == [
            "priority-customer"
        ]
        with pytest.raises(DomainError) as error:
            bulk.cases_bulk(by=isabella, case_ids=[first.pk], action="tag", params={})
        assert error.value.field == "add"


class TestMerge:
    def test_all_into_the_first_and_a_foreign_customer_fails(self, isabella):
        customer = CustomerFactory()
        survivor, second, third = (make_case(customer=customer) for _ in range(3))
        stranger = make_case(customer=CustomerFactory())

        result = bulk.cases_bulk(
            by=isabella, case_ids=[survivor.pk, second.pk, stranger.pk, third.pk], action="merge", params={}
        )

        assert result.done == [second.pk, third.pk]
        assert list(result.failed) == [stranger.pk]
        assert result.failed[stranger.pk].endswith(
            "belong to different customers; confirm to merge them anyway."
        )
        assert set(Case.objects.filter(merged_into=survivor).values_list("pk", flat=True)) == {
            second.pk,
            third.pk,
        }
        assert Case.objects.get(pk=stranger.pk).merged_into is None

    def test_a_named_survivor(self, isabella):
        customer = CustomerFactory()
        first, second, survivor = (make_case(customer=customer) for _ in range(3))

        result = bulk.cases_bulk(
            by=isabella,
            case_ids=[first.pk, second.pk, survivor.pk],
            action="merge",
            params={"survivor_id": survivor.pk},
        )

        assert result == BulkResult(done=[first.pk, second.pk], failed={})
        assert Case.objects.get(pk=first.pk).merged_into_id == survivor.pk


class TestRequestChecks:
    def test_unknown_action_too_many_or_no_ids_and_missing_permission(self, isabella):
        case = make_case()
        lena = UserFactory(username="lena", role="logistics")

        for kwargs, field in (
            ({"case_ids": [case.pk], "action": "delete"}, "action"),
            ({"case_ids": list(range(1, 502)), "action": "tag"}, "case_ids"),
            ({"case_ids": [], "action": "tag"}, "case_ids"),
            ({"case_ids": ["1"], "action": "tag"}, "case_ids"),
        ):
            with pytest.raises(DomainError) as error:
                bulk.cases_bulk(by=isabella, params={"add": ["x"]}, **kwargs)
            assert error.value.field == field
        with pytest.raises(PermissionDeniedError):
            bulk.cases_bulk(by=lena, case_ids=[case.pk], action="assign", params={"assignee_id": lena.pk})

        assert not Case.objects.get(pk=case.pk).tags.exists()
        assert not AuditEntry.objects.filter(verb="case.bulk").exists()

    def test_500_ids_are_accepted(self, isabella):
        case = make_case()
        ids = [case.pk, *range(10_000_000, 10_000_499)]

        result = bulk.cases_bulk(by=isabella, case_ids=ids, action="tag", params={"add": ["x"]})

        assert (result.done, len(result.failed)) == ([case.pk], 499)
