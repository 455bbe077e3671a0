"""Shift handover notes (seed 004): case notes, shift summaries, the next shift's open list and
acknowledging."""

from __future__ import annotations

from datetime import timedelta

import pytest

from frontline.audit.models import AuditEntry
from frontline.cases import handover, merge
from frontline.cases.errors import CaseStateError
from frontline.cases.models import HandoverNote
from frontline.core.errors import DomainError, FieldErrors, NotFound, PermissionDeniedError

from .factories import MembershipFactory, TeamFactory, UserFactory, make_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def team():
    return TeamFactory(name="Shipments", slug="shipments")


@pytest.fixture
def thomas(team):
    user = UserFactory(username="thomas", role="lead")
    MembershipFactory(team=team, user=user, is_lead=True)
    return user


@pytest.fixture
def sara(team):
    user = UserFactory(username="sara")
    MembershipFactory(team=team, user=user)
    return user


class TestAdd:
    def test_a_case_note_goes_to_the_cases_team_and_names_who_takes_over(self, team, thomas, sara):
        case = make_case(team_id=team.pk)

        note = handover.handover_note_add(
            by=thomas,
            body="  Carrier promised delivery tomorrow; call if not.  ",
            case_id=case.pk,
            handed_to_id=sara.pk,
        )

        note.refresh_from_db()
        assert (note.author, note.case, note.team, note.handed_to, note.body) == (
            thomas,
            case,
            team,
            sara,
            "Carrier promised delivery tomorrow; call if not.",
        )
        assert note.acknowledged_at is None
        entry = AuditEntry.objects.get(verb="handover.note_added")
        assert entry.data == {
            "note_id": note.pk,
            "case_id": case.pk,
            "team_id": team.pk,
            "handed_to_id": sara.pk,
        }

    def test_a_shift_summary_is_for_a_team_the_author_belongs_to(self, team, thomas):
        other = TeamFactory()

        with pytest.raises(FieldErrors) as error:
            handover.handover_note_add(by=thomas, body="Quiet shift")
        assert set(error.value.errors) == {"team"}
        with pytest.raises(DomainError) as refused:
            handover.handover_note_add(by=thomas, body="Quiet shift", team_id=other.pk)
        assert refused.value.field == "team"
        assert not HandoverNote.objects.exists()

        note = handover.handover_note_add(by=thomas, body="Quiet shift; 3 DHL delays open", team_id=team.pk)

        assert (note.case, note.team) == (None, team)

    def test_bad_input_writes_nothing(self, team, thomas):
        customer_user = UserFactory(username="justine", role="customer")
        case = make_case(team_id=team.pk)
        survivor = make_case()
        merge.case_merge(
            survivor_id=survivor.pk, merged_id=case.pk, by=thomas, allow_different_customers=True
        )

        with pytest.raises(FieldErrors) as error:
            handover.handover_note_add(by=thomas, body=" ", case_id=999_999)
        assert set(error.value.errors) == {"body", "case"}
        for handed_to in (thomas, customer_user):
            with pytest.raises(DomainError) as refused:
                handover.handover_note_add(by=thomas, body="x", team_id=team.pk, handed_to_id=handed_to.pk)
            assert refused.value.field == "handed_to"
        with pytest.raises(CaseStateError):
            handover.handover_note_add(by=thomas, body="x", case_id=case.pk)
        with pytest.raises(PermissionDeniedError):
            handover.handover_note_add(by=customer_user, body="x", team_id=team.pk)

        assert not HandoverNote.objects.exists()
        assert not AuditEntry.objects.filter(verb="handover.note_added").exists()


class TestOpenList:
    def test_unacknowledged_notes_for_my_teams_or_me_newest_first_not_my_own(
        self, team, thomas, sara, django_assert_num_queries
    ):
        # given notes of my team, one handed to me from another team, my own, another team's,
        # and an acknowledged one
        other_team = TeamFactory(name="Returns", slug="returns")
        omar = UserFactory(username="omar")
        MembershipFactory(team=other_team, user=omar)
        case = make_case(team_id=team.pk)
        summary = handover.handover_note_add(by=thomas, body="Shift summary", team_id=team.pk)
        on_case = handover.handover_note_add(by=thomas, body="Watch this one", case_id=case.pk)
        to_me = handover.handover_note_add(
            by=omar, body="For Sara", team_id=other_team.pk, handed_to_id=sara.pk
        )
        handover.handover_note_add(by=sara, body="My own", team_id=team.pk)
        handover.handover_note_add(by=omar, body="Returns only", team_id=other_team.pk)
        done = handover.handover_note_add(by=thomas, body="Done already", team_id=team.pk)
        handover.handover_acknowledge(note_id=done.pk, by=thomas)
        base = summary.created_at
        for offset, note in enumerate((summary, on_case, to_me)):
            HandoverNote.objects.filter(pk=note.pk).update(created_at=base + timedelta(minutes=offset))

        # when Sara opens her dashboard
        with django_assert_num_queries(1):
            notes = handover.handover_notes_open_for(sara)
            shown = [
                (n.body, n.author.username, n.case.customer.full_name if n.case else None) for n in notes
            ]

        # then she sees the three meant for her, newest first, with what the page shows loaded
        assert [n.pk for n in notes] == [to_me.pk, on_case.pk, summary.pk]
        assert shown[1] == ("Watch this one", "thomas", case.customer.full_name)

    def test_customers_and_nobody_get_nothing(self, team, thomas):
        handover.handover_note_add(by=thomas, body="x", team_id=team.pk)
        assert handover.handover_notes_open_for(UserFactory(username="justine", role="customer")) == []
        assert handover.handover_notes_open_for(None) == []


class TestAcknowledge:
    def test_a_team_member_acknowledges_once_and_the_note_leaves_the_list(self, team, thomas, sara):
        note = handover.handover_note_add(by=thomas, body="Shift summary", team_id=team.pk)

        handover.handover_acknowledge(note_id=note.pk, by=sara)
        again = handover.handover_acknowledge(note_id=note.pk, by=sara)

        note.refresh_from_db()
        assert (note.acknowledged_by, note.acknowledged_at) == (sara, again.acknowledged_at)
        assert note.acknowledged_at is not None
        assert AuditEntry.objects.filter(verb="handover.note_acknowledged").count() == 1
        assert handover.handover_notes_open_for(sara) == []

    def test_outsiders_and_unknown_notes_are_refused(self, team, thomas):
        note = handover.handover_note_add(by=thomas, body="Shift summary", team_id=team.pk)
        outsider = UserFactory(username="omar")

        with pytest.raises(PermissionDeniedError):
            handover.handover_acknowledge(note_id=note.pk, by=outsider)
        with pytest.raises(NotFound):
            handover.handover_acknowledge(note_id=999_999, by=thomas)

        assert HandoverNote.objects.get(pk=note.pk).acknowledged_at is None
