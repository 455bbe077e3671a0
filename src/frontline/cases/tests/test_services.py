"""The core case services: open, reply, note, receive, call log, status, update."""

from __future__ import annotations

import pytest
from django.core.exceptions import ObjectDoesNotExist

from frontline.audit.models import AuditEntry
from frontline.cases import services
from frontline.cases.choices import MessageKind, StatusCategory
from frontline.cases.errors import CaseStateError, StaleReplyError
from frontline.cases.models import Attachment, Case, CustomField, Mention, Message
from frontline.cases.services import AttachmentInput, CaseInput
from frontline.core.errors import DomainError, FieldErrors
from frontline.customers.models import Interaction

from .factories import CustomerFactory, UserFactory, make_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent():
    return UserFactory(username="sara")


class TestCreate:
    def test_opens_with_reference_first_message_timeline_and_audit(self, agent):
        customer = CustomerFactory(first_name="Justine", last_name="Harrington")

        case = make_case(customer=customer, subject="Cannot log in", body="My password reset fails.")

        assert case.reference.isdigit() and len(case.reference) == 8
        assert case.status_category == StatusCategory.NEW
        assert case.message_count == 1
        message = case.messages.get()
        assert (message.kind, message.direction, message.body) == (
            "reply",
            "inbound",
            "My password reset fails.",
        )
        assert case.last_customer_message_at == message.created_at
        kinds = set(Interaction.objects.filter(customer=customer).values_list("kind", flat=True))
        assert {"case", "message"} <= kinds
        assert AuditEntry.objects.filter(verb="case.created", target_id=str(case.pk)).exists()

    def test_references_are_unique_and_increasing(self):
        first, second = make_case(), make_case()
        assert int(second.reference) == int(first.reference) + 1

    def test_bad_input_names_each_field_and_writes_nothing(self):
        customer = CustomerFactory()
        with pytest.raises(FieldErrors) as error:
            services.case_create(
                by=None,
                data=CaseInput(customer_id=customer.pk, subject=" ", channel="pigeon", priority="asap"),
            )
        assert set(error.value.errors) == {"subject", "channel", "priority"}
        assert Case.objects.count() == 0

    def test_oversized_attachment_is_refused(self, settings):
        settings.CASE_ATTACHMENT_MAX_BYTES = 10
        customer = CustomerFactory()
        with pytest.raises(DomainError) as error:
            services.case_create(
                by=None,
                data=CaseInput(
                    customer_id=customer.pk,
                    subject="Photo",
                    attachments=[AttachmentInput("photo.png", b"x" * 11)],
                ),
            )
        assert (error.value.field, error.value.code) == ("attachments", "too_large")
        assert (Case.objects.count(), Attachment.objects.count()) == (0, 0)

    def test_custom_fields_are_validated(self):
        CustomField.objects.create(key="order_no", label="Order number", field_type="number", required=True)
        customer = CustomerFactory()
        with pytest.raises(FieldErrors) as error:
            services.case_create(by=None, data=CaseInput(customer_id=customer.pk, subject="x"))
        assert "custom_fields.order_no" in error.value.errors
        case = services.case_create(
            by=None, data=CaseInput(customer_id=customer.pk, subject="x", custom_fields={"order_no": "42"})
        )
        assert case.custom_fields == {"order_no": 42}


class TestReply:
    def test_public_reply_opens_a_new_case_and_records_first_response(self, agent):
        case = make_case()

        message = services.message_reply(case_id=case.pk, by=agent, body="Hello, looking into it.")

        case.refresh_from_db()
        assert (message.kind, message.direction) == (MessageKind.REPLY, "outbound")
        assert case.first_response_at == message.created_at
        assert case.status_category == StatusCategory.OPEN

    def test_internal_note_is_not_a_response_and_mentions_notify(self, agent):
        omar = UserFactory(username="omar", role="tech")
        case = make_case()

        note = services.message_reply(
            case_id=case.pk, by=agent, body="@omar can you check the logs?", internal=True
        )

        case.refresh_from_db()
        assert note.kind == MessageKind.NOTE and case.first_response_at is None
        assert list(Mention.objects.values_list("user__username", flat=True)) == ["omar"]
        assert omar.case_mentions.get() == note

    def test_stale_reply_is_refused_and_nothing_is_sent(self, agent):
        case = make_case()
        seen = case.messages.get().pk
        other = UserFactory(username="lena")
        services.message_reply(case_id=case.pk, by=other, body="Answered by Lena.")

        with pytest.raises(StaleReplyError):
            services.message_reply(case_id=case.pk, by=agent, body="Me too", seen_message_id=seen)
        assert Message.objects.filter(author=agent).count() == 0

    def test_reply_to_a_merged_case_is_refused(self, agent):
        survivor, merged = make_case(), make_case()
        Case.objects.filter(pk=merged.pk).update(merged_into=survivor)
        with pytest.raises(CaseStateError):
            services.message_reply(case_id=merged.pk, by=agent, body="hello")
        assert Message.objects.filter(author=agent).count() == 0


class TestCustomerMessages:
    def test_reply_reopens_a_resolved_case(self, agent):
        case = make_case()
        services.case_status_set(case_id=case.pk, by=agent, status="resolved")

        services.message_receive_on_case(case_id=case.pk, body="Still broken", channel="email")

        case.refresh_from_db()
        assert case.status_category == StatusCategory.OPEN and case.resolved_at is None
        assert AuditEntry.objects.filter(verb="case.reopened").count() == 1

    def test_same_external_id_never_creates_two_messages(self):
        case = make_case()
        for _ in range(3):
            services.message_receive_on_case(
                case_id=case.pk, body="Hi", channel="email", external_id="<m1@x>"
            )
        assert case.messages.filter(external_id="<m1@x>").count() == 1


class TestStatusAndUpdate:
    def test_unknown_status_is_refused(self, agent):
        case = make_case()
        with pytest.raises(DomainError) as error:
            services.case_status_set(case_id=case.pk, by=agent, status="nonsense")
        assert error.value.field == "status"
        case.refresh_from_db()
        assert case.status_category == StatusCategory.NEW

    def test_update_is_audited_with_a_diff(self, agent):
        case = make_case()
        services.case_update(case_id=case.pk, by=agent, changes={"priority": "urgent"}, tags=["VIP", "login"])
        entry = AuditEntry.objects.get(verb="case.updated")
        assert entry.data["changes"] == {"priority": ["normal", "urgent"], "tags": [[], ["login", "vip"]]}

    def test_call_log_validates_every_field(self, agent):
        case = make_case()
        with pytest.raises(FieldErrors) as error:
            services.call_log(
                case_id=case.pk, by=agent, direction="sideways", duration_seconds=-1, summary="", outcome="?"
            )
        assert set(error.value.errors) == {"direction", "duration_seconds", "summary", "outcome"}
        with pytest.raises(ObjectDoesNotExist):
            case.messages.get(kind="call")
