"""Merge, split and link: what moves, what the merged case becomes, and what is refused."""

from __future__ import annotations

from typing import Any

import pytest

from frontline.audit.models import AuditEntry
from frontline.cases import events, handover, merge, services
from frontline.cases.choices import MessageKind, SlaEventKind, StatusCategory
from frontline.cases.errors import CaseStateError
from frontline.cases.models import Attachment, Case, CaseLink, HandoverNote, Message, SlaClock, SlaEvent
from frontline.cases.services import AttachmentInput
from frontline.core.errors import Conflict, DomainError, FieldErrors, NotFound, PermissionDeniedError

from .factories import CustomerFactory, MembershipFactory, TeamFactory, UserFactory, make_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def sara():
    return UserFactory(username="sara", first_name="Sara", last_name="Lind")


@pytest.fixture
def customer():
    return CustomerFactory(first_name="Justine", last_name="Harrington")


@pytest.fixture
def merged_events():
    received: list[dict[str, Any]] = []

    def receiver(sender: Any, **kwargs: Any) -> None:
        received.append({"survivor_id": kwargs["survivor_id"], "merged_id": kwargs["merged_id"]})

    events.case_merged.connect(receiver)
    yield received
    events.case_merged.disconnect(receiver)


def snapshot() -> tuple[Any, ...]:
    """Everything a refused merge must leave as it was."""
    return (
        sorted(Message.objects.values_list("pk", "case_id")),
        sorted(
            Case.objects.values_list("pk", "merged_into_id", "status_category", "message_count", "parent_id")
        ),
        sorted(CaseLink.objects.values_list("from_case_id", "to_case_id")),
        AuditEntry.objects.filter(verb__in=["case.merged", "case.split"]).count(),
    )


class TestMerge:
    def test_moves_everything_to_the_survivor_and_closes_the_merged_case(
        self, sara, customer, merged_events, django_capture_on_commit_callbacks
    ):
        # given two cases of one customer; the second has a reply with a photo, a note, links,
        # a child case and a handover note
        team = TeamFactory()
        MembershipFactory(team=team, user=sara)
        survivor = make_case(customer=customer, subject="Laptop on hold", team_id=team.pk)
        gone = make_case(customer=customer, subject="Still waiting for my laptop", team_id=team.pk)
        reply = services.message_reply(
            case_id=gone.pk,
            by=sara,
            body="Could you send a photo of the label?",
            attachments=[AttachmentInput("label.png", b"\x89PNG fake", "image/png")],
        )
        services.message_reply(case_id=gone.pk, by=sara, body="Asked for a photo", internal=True)
        moved = list(Message.objects.filter(case=gone).order_by("created_at", "id"))
        times = {m.pk: m.created_at for m in moved}
        third, fourth = make_case(customer=customer), make_case(customer=customer)
        merge.case_link(case_id=gone.pk, other_id=third.pk, by=sara, kind="caused_by")
        merge.case_link(case_id=fourth.pk, other_id=gone.pk, by=sara)
        merge.case_link(case_id=survivor.pk, other_id=fourth.pk, by=sara)
        merge.case_link(case_id=gone.pk, other_id=survivor.pk, by=sara)
        child = make_case(customer=customer)
        Case.objects.filter(pk=child.pk).update(parent=gone)
        note = handover.handover_note_add(by=sara, body="Customer calls back at 3 pm", case_id=gone.pk)
        survivor_messages = survivor.message_count
        running = sorted(
            SlaClock.objects.filter(case=gone, stopped_at__isnull=True).values_list("pk", flat=True)
        )
        assert running  # the resolution clock (the reply met first response)

        # when the second case is merged into the first
        with django_capture_on_commit_callbacks(execute=True):
            result = merge.case_merge(survivor_id=survivor.pk, merged_id=gone.pk, by=sara)

        # then its messages (with their times and attachments) are on the survivor
        survivor.refresh_from_db()
        gone.refresh_from_db()
        assert result == survivor
        for message in moved:
            message.refresh_from_db()
            assert (message.case_id, message.created_at) == (survivor.pk, times[message.pk])
        assert Attachment.objects.get(message=reply).message.case_id == survivor.pk
        # each case has a system line, and the counts are recomputed
        assert survivor.message_count == survivor_messages + len(moved) + 1
        assert gone.message_count == 1
        assert survivor.messages.filter(kind=MessageKind.SYSTEM).get().body == (
            f"Case #{gone.reference} was merged into this case; {len(moved)} messages moved here."
        )
        assert gone.messages.get().body == f"Merged into case #{survivor.reference}."
        assert survivor.last_agent_reply_at == reply.created_at
        # the merged case points to the survivor, is closed and its clocks are cancelled
        assert (gone.merged_into, gone.status_category, gone.sla_due_at) == (
            survivor,
            StatusCategory.CLOSED,
            None,
        )
        assert not SlaClock.objects.filter(case=gone, stopped_at__isnull=True).exists()
        assert set(SlaClock.objects.filter(pk__in=running).values_list("met", flat=True)) == {None}
        cancelled = SlaEvent.objects.filter(case=gone, kind=SlaEventKind.CANCELLED)
        assert list(cancelled.order_by("clock_id").values_list("clock_id", flat=True)) == running
        assert {e.data["reason"] for e in cancelled} == {"merged"}
        # links, children and handover notes moved, one link per pair and none to itself
        links = {(link.from_case_id, link.to_case_id, link.kind) for link in CaseLink.objects.all()}
        assert links == {(survivor.pk, third.pk, "caused_by"), (survivor.pk, fourth.pk, "related")}
        assert Case.objects.get(pk=child.pk).parent_id == survivor.pk
        assert HandoverNote.objects.get(pk=note.pk).case_id == survivor.pk
        # both are audited with the moved messages, and the event went out after commit
        entries = AuditEntry.objects.filter(verb="case.merged")
        assert sorted(int(e.target_id) for e in entries) == sorted([survivor.pk, gone.pk])
        assert {tuple(e.data["message_ids"]) for e in entries} == {tuple(m.pk for m in moved)}
        assert merged_events == [{"survivor_id": survivor.pk, "merged_id": gone.pk}]

    def test_the_merged_case_refuses_replies_afterwards(self, sara, customer):
        survivor, gone = make_case(customer=customer), make_case(customer=customer)
        merge.case_merge(survivor_id=survivor.pk, merged_id=gone.pk, by=sara)

        with pytest.raises(CaseStateError):
            services.message_reply(case_id=gone.pk, by=sara, body="Hello?")
        assert not Message.objects.filter(author=sara, kind=MessageKind.REPLY).exists()

    def test_notify_customer_sends_a_public_reply_on_the_survivor(self, sara, customer):
        survivor, gone = make_case(customer=customer), make_case(customer=customer)

        merge.case_merge(survivor_id=survivor.pk, merged_id=gone.pk, by=sara, notify_customer=True)

        reply = Message.objects.get(case=survivor, kind=MessageKind.REPLY, direction="outbound")
        assert reply.body == (
            f"Hello Justine, we have combined your request #{gone.reference} with #{survivor.reference} "
            f"so that everything is handled in one place. Please reply on #{survivor.reference} from now on."
        )
        assert Case.objects.get(pk=survivor.pk).status_category == StatusCategory.OPEN

    def test_cases_of_different_customers_need_an_explicit_yes(self, sara, customer):
        survivor, other = make_case(customer=customer), make_case(customer=CustomerFactory())
        before = snapshot()

        with pytest.raises(DomainError) as error:
            merge.case_merge(survivor_id=survivor.pk, merged_id=other.pk, by=sara)

        assert (error.value.field, error.value.code) == ("merged", "different_customers")
        assert snapshot() == before
        merge.case_merge(survivor_id=survivor.pk, merged_id=other.pk, by=sara, allow_different_customers=True)
        assert Case.objects.get(pk=other.pk).merged_into_id == survivor.pk

    def test_self_merged_unknown_closed_and_forbidden_are_refused_without_change(self, sara, customer):
        first, second, third = (make_case(customer=customer) for _ in range(3))
        merge.case_merge(survivor_id=first.pk, merged_id=third.pk, by=sara)
        closed = make_case(customer=customer)
        services.case_status_set(case_id=closed.pk, by=sara, status="closed")
        sales = UserFactory(username="sam", role="sales")
        before = snapshot()

        cases: list[tuple[dict[str, Any], type[DomainError], str | None]] = [
            ({"survivor_id": first.pk, "merged_id": first.pk}, DomainError, "merged"),
            ({"survivor_id": third.pk, "merged_id": second.pk}, CaseStateError, "survivor"),
            ({"survivor_id": second.pk, "merged_id": third.pk}, CaseStateError, "merged"),
            ({"survivor_id": first.pk, "merged_id": 999_999}, NotFound, "merged"),
            (
                {"survivor_id": closed.pk, "merged_id": second.pk, "notify_customer": True},
                CaseStateError,
                "notify_customer",
            ),
        ]
        for kwargs, error_type, field in cases:
            with pytest.raises(error_type) as error:
                merge.case_merge(by=sara, **kwargs)
            assert error.value.field == field
        with pytest.raises(PermissionDeniedError):
            merge.case_merge(survivor_id=first.pk, merged_id=second.pk, by=sales)

        assert snapshot() == before


class TestSplit:
    def test_a_message_becomes_a_new_related_case_of_the_same_customer(self, sara, customer):
        team = TeamFactory()
        case = make_case(customer=customer, subject="Two problems", team_id=team.pk, priority="high")
        later = services.message_receive_on_case(
            case_id=case.pk, body="Also my invoice is wrong", channel="email"
        )
        at = later.created_at

        new = merge.message_split(message_id=later.pk, by=sara, subject="Invoice is wrong")

        later.refresh_from_db()
        case.refresh_from_db()
        assert (later.case_id, later.created_at) == (new.pk, at)
        assert (new.customer, new.team, new.priority, new.channel, new.subject) == (
            customer,
            team,
            "high",
            "email",
            "Invoice is wrong",
        )
        assert (new.message_count, new.last_customer_message_at) == (2, at)  # the message + system line
        assert case.message_count == 2  # the first message + system line
        assert new.messages.get(kind=MessageKind.SYSTEM).body == f"Split off from case #{case.reference}."
        link = CaseLink.objects.get()
        assert (link.from_case_id, link.to_case_id, link.kind) == (case.pk, new.pk, "related")
        entry = AuditEntry.objects.get(verb="case.split")
        assert entry.data == {"message_id": later.pk, "new_case_id": new.pk, "new_reference": new.reference}

    def test_the_only_message_a_system_line_or_no_subject_is_refused(self, sara, customer):
        case = make_case(customer=customer)
        only = case.messages.get()
        other = make_case(customer=customer)
        merge.case_merge(survivor_id=case.pk, merged_id=other.pk, by=sara)
        system = case.messages.get(kind=MessageKind.SYSTEM)
        single = make_case(customer=customer)
        before = snapshot()

        with pytest.raises(DomainError) as error:
            merge.message_split(message_id=single.messages.get().pk, by=sara, subject="x")
        assert error.value.field == "message"
        with pytest.raises(DomainError) as error:
            merge.message_split(message_id=system.pk, by=sara, subject="x")
        assert error.value.field == "message"
        with pytest.raises(FieldErrors) as error:
            merge.message_split(message_id=only.pk, by=sara, subject=" ")
        assert set(error.value.errors) == {"subject"}
        with pytest.raises(NotFound):
            merge.message_split(message_id=999_999, by=sara, subject="x")

        assert snapshot() == before


class TestLinks:
    def test_one_link_per_pair_whichever_way_round(self, sara):
        first, second = make_case(), make_case()

        link = merge.case_link(case_id=first.pk, other_id=second.pk, by=sara, kind="duplicate")

        assert (link.from_case_id, link.to_case_id, link.kind, link.created_by) == (
            first.pk,
            second.pk,
            "duplicate",
            sara,
        )
        with pytest.raises(Conflict) as error:
            merge.case_link(case_id=second.pk, other_id=first.pk, by=sara)
        assert error.value.field == "other"
        assert CaseLink.objects.count() == 1
        assert AuditEntry.objects.filter(verb="case.linked").count() == 2

    def test_self_merged_and_unknown_kind_are_refused(self, sara):
        first, second, third = make_case(), make_case(), make_case()
        Case.objects.filter(pk=third.pk).update(merged_into=first)

        for kwargs, field in (
            ({"case_id": first.pk, "other_id": first.pk}, "other"),
            ({"case_id": first.pk, "other_id": third.pk}, "other"),
            ({"case_id": first.pk, "other_id": second.pk, "kind": "cousin"}, "kind"),
        ):
            with pytest.raises(DomainError) as error:
                merge.case_link(by=sara, **kwargs)
            assert error.value.field == field
        assert not CaseLink.objects.exists()

    def test_unlink_either_way_round(self, sara):
        first, second = make_case(), make_case()
        merge.case_link(case_id=first.pk, other_id=second.pk, by=sara)

        merge.case_unlink(case_id=second.pk, other_id=first.pk, by=sara)

        assert not CaseLink.objects.exists()
        assert AuditEntry.objects.filter(verb="case.unlinked").count() == 2
        with pytest.raises(NotFound) as error:
            merge.case_unlink(case_id=second.pk, other_id=first.pk, by=sara)
        assert error.value.field == "other"
