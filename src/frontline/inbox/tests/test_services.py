"""Intake rules: who sent a message, which case it joins, idempotency, and the phone-call log.

Given / when / then; every refusal also asserts that nothing was written."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from frontline.accounts.choices import Role
from frontline.cases import services as case_services
from frontline.cases.choices import MessageKind, StatusCategory
from frontline.cases.models import Attachment, Case, CaseLink, Message
from frontline.cases.services import AttachmentInput
from frontline.cases.tests.factories import CustomerFactory, UserFactory, make_case
from frontline.core.errors import DomainError, FieldErrors
from frontline.customers import services as customer_services
from frontline.customers.choices import ContactKind, Direction
from frontline.customers.models import ContactPoint, Customer, ExternalId
from frontline.customers.services import ContactInput
from frontline.inbox import services
from frontline.inbox.services import CallInput, SenderInput

pytestmark = pytest.mark.django_db


def receive(**kwargs):
    kwargs.setdefault("channel", "email")
    kwargs.setdefault("body", "Where is my order?")
    kwargs.setdefault("sender", SenderInput(email="justine@example.com", name="Justine Harrington"))
    return services.message_receive(**kwargs)


def counts() -> tuple[int, int, int]:
    return Customer.objects.count(), Case.objects.count(), Message.objects.count()


@pytest.fixture
def agent():
    return UserFactory(username="sara", role=Role.AGENT)


@pytest.fixture
def justine():
    return CustomerFactory(
        first_name="Justine", last_name="Harrington", email="justine@example.com", phone="+1 555 123 4567"
    )


# --- the sender -------------------------------------------------------------------------------


class TestSender:
    def test_an_unknown_sender_becomes_a_customer_with_every_identifier(self):
        result = receive(
            channel="chat",
            sender=SenderInput(
                email="New.Person@Example.com",
                phone="+49 30 1234567",
                name="Anna Maria Schmidt",
                handle="@anna_s",
                platform="instagram",
                external_system="Shop",
                external_customer_id="C-77",
            ),
        )

        customer = result.customer
        assert (result.created_customer, result.created_case) == (True, True)
        assert (customer.first_name, customer.last_name) == ("Anna Maria", "Schmidt")
        assert sorted(customer.contact_points.values_list("kind", "normalized")) == [
            ("email", "new.person@example.com"),
            ("phone", "+49301234567"),
            ("social", "instagram:anna_s"),
        ]
        assert list(customer.external_ids.values_list("system", "value")) == [("shop", "C-77")]
        assert result.case.customer == customer

    def test_found_by_email_whatever_its_case(self, justine):
        result = receive(sender=SenderInput(email="  JUSTINE@example.COM ", name="J. H."))

        assert (result.customer, result.created_customer) == (justine, False)
        assert Customer.objects.count() == 1

    def test_found_by_phone_in_another_format(self, justine):
        result = receive(channel="sms", sender=SenderInput(phone="(+1) 555-123-4567"))

        assert result.customer == justine

    def test_found_by_social_handle_on_the_same_platform_only(self):
        known = CustomerFactory(
            email="", contacts=[ContactInput(kind="social", value="@Justine_H", platform="x")]
        )

        same = receive(channel="social", sender=SenderInput(handle="justine_h", platform="x"))
        other_platform = receive(
            channel="social", sender=SenderInput(handle="justine_h", platform="facebook"), external_id="fb-1"
        )

        assert same.customer == known
        assert other_platform.customer != known and other_platform.created_customer

    def test_external_id_wins_over_an_email_of_someone_else(self, justine):
        shop_customer = CustomerFactory(email="other@example.com", ext={"shop": "C-1"})

        result = receive(
            sender=SenderInput(
                email="justine@example.com", external_system="shop", external_customer_id="C-1"
            )
        )

        assert result.customer == shop_customer

    def test_email_is_tried_before_phone(self, justine):
        by_phone = CustomerFactory(email="someone@example.com", phone="+44 20 7946 0000")

        result = receive(sender=SenderInput(email="justine@example.com", phone="+44 20 7946 0000"))

        assert result.customer == justine != by_phone

    def test_a_merged_record_leads_to_its_survivor(self):
        survivor = CustomerFactory(email="survivor@example.com")
        duplicate = CustomerFactory(email="old@example.com")
        customer_services.customer_merge(survivor_id=survivor.pk, merged_id=duplicate.pk, by=None)

        result = receive(sender=SenderInput(email="old@example.com"))

        assert (result.customer, result.created_customer) == (survivor, False)

    def test_of_duplicates_sharing_an_email_the_oldest_active_one(self):
        blocked = CustomerFactory(email="shared@example.com")
        customer_services.customer_update(customer_id=blocked.pk, by=None, changes={"status": "blocked"})
        oldest_active = CustomerFactory(email="shared@example.com")
        CustomerFactory(email="shared@example.com")

        result = receive(sender=SenderInput(email="shared@example.com"))

        assert result.customer == oldest_active

    def test_a_known_customer_is_not_changed(self, justine):
        receive(
            sender=SenderInput(email="justine@example.com", phone="+33 1 23 45 67 89", name="Someone Else")
        )

        justine.refresh_from_db()
        assert (justine.first_name, justine.last_name) == ("Justine", "Harrington")
        assert not justine.contact_points.filter(kind=ContactKind.PHONE, normalized="+33123456789").exists()

    @pytest.mark.parametrize(
        ("sender", "fields"),
        [
            (SenderInput(email="not-an-email"), {"sender.email"}),
            (SenderInput(phone="12"), {"sender.phone"}),
            (SenderInput(handle="@who"), {"sender.platform"}),
            (SenderInput(handle="bad handle!", platform="x"), {"sender.handle"}),
            (SenderInput(external_customer_id="C-1"), {"sender.external_system"}),
            (SenderInput(email="x", phone="1"), {"sender.email", "sender.phone"}),
            (SenderInput(name="x" * 201, email="a@example.com"), {"sender.name"}),
        ],
    )
    def test_bad_identifiers_are_named_and_nothing_is_written(self, sender, fields):
        with pytest.raises(FieldErrors) as error:
            receive(sender=sender)

        assert set(error.value.errors) == fields
        assert counts() == (0, 0, 0)

    def test_a_sender_without_any_identifier_is_refused(self):
        with pytest.raises(DomainError) as error:
            receive(sender=SenderInput(name="Anonymous"))

        assert error.value.field == "sender"
        assert counts() == (0, 0, 0)


# --- the case ---------------------------------------------------------------------------------


class TestCaseMatching:
    def test_by_default_a_new_case_with_the_message(self, justine):
        received_at = timezone.now() - timedelta(hours=2)

        result = receive(subject="Order 1001 late", body="Still nothing.", received_at=received_at)

        case, message = result.case, result.message
        assert (result.created_case, case.subject, case.channel, case.customer) == (
            True,
            "Order 1001 late",
            "email",
            justine,
        )
        assert (message.case, message.kind, message.direction, message.channel, message.body) == (
            case,
            MessageKind.REPLY,
            Direction.INBOUND,
            "email",
            "Still nothing.",
        )
        assert message.created_at == received_at == case.created_at

    def test_a_second_email_with_a_new_subject_opens_another_case(self, justine):
        first = receive(subject="Order 1001 late")
        second = receive(subject="Invoice question")

        assert first.case != second.case
        assert second.created_case

    def test_explicit_reference_adds_to_that_case(self, justine):
        case = make_case(customer=justine)

        result = receive(case_reference=case.reference, channel="portal", body="Any news?")

        assert (result.case, result.created_case) == (case, False)
        assert result.case.message_count == 2

    @pytest.mark.parametrize("owner", ["someone else", "nobody"])
    def test_explicit_reference_not_of_the_sender_is_refused(self, justine, owner):
        reference = make_case(customer=CustomerFactory()).reference if owner == "someone else" else "99999999"
        before = counts()

        with pytest.raises(DomainError) as error:
            receive(case_reference=reference)

        assert (error.value.field, error.value.code) == ("case_reference", "not_found")
        assert counts() == before

    def test_reference_in_the_subject(self, justine):
        case = make_case(customer=justine)

        result = receive(subject=f"Re: [#{case.reference}] Where is my order?")

        assert (result.case, result.created_case) == (case, False)

    def test_reference_of_someone_elses_case_in_the_subject_is_ignored(self, justine):
        other = make_case(customer=CustomerFactory(), subject="Private")

        result = receive(subject=f"RE: Fwd: [#{other.reference}] Hello there")

        assert result.created_case and result.case != other
        assert result.case.subject == "Hello there"
        assert other.messages.count() == 1

    def test_thread_id_of_an_earlier_message(self, justine):
        first = receive(subject="Broken zipper", external_id="<a1@mail.example>")

        reply = receive(
            subject="Another subject", external_id="<a2@mail.example>", thread_ids=["<a1@mail.example>"]
        )

        assert (reply.case, reply.created_case) == (first.case, False)

    def test_thread_ids_are_per_channel(self, justine):
        first = receive(channel="chat", external_id="conv-1")

        other = receive(channel="email", external_id="conv-2", thread_ids=["conv-1"])

        assert other.case != first.case

    def test_chat_continues_the_recent_open_chat_case(self, justine):
        first = receive(channel="chat", body="Hi", external_id="c1")

        second = receive(channel="chat", body="Are you there?", external_id="c2")

        assert (second.case, second.created_case) == (first.case, False)
        assert second.case.message_count == 2

    def test_chat_opens_a_new_case_after_the_window(self, justine, settings):
        settings.INBOX_CONTINUE_DAYS = 2
        first = receive(channel="chat", body="Hi", external_id="c1")
        Case.objects.filter(pk=first.case.pk).update(updated_at=timezone.now() - timedelta(days=2, minutes=1))

        second = receive(channel="chat", body="Hello again", external_id="c2")

        assert second.case != first.case and second.created_case

    def test_chat_does_not_continue_a_resolved_case_or_another_channel(self, justine):
        resolved = receive(channel="chat", body="Hi", external_id="c1").case
        case_services.case_status_set(case_id=resolved.pk, by=None, status="resolved")
        receive(channel="sms", body="By SMS", external_id="s1")

        result = receive(channel="chat", body="New question", external_id="c2")

        assert result.created_case and result.case.channel == "chat" and result.case != resolved

    def test_email_never_continues_by_recency(self, justine):
        first = receive(subject="Same subject")

        second = receive(subject="Same subject")

        assert second.case != first.case

    def test_a_merged_case_leads_to_its_survivor(self, justine):
        survivor = make_case(customer=justine, subject="Survivor")
        merged = make_case(customer=justine, subject="Duplicate")
        Case.objects.filter(pk=merged.pk).update(merged_into=survivor)

        result = receive(case_reference=merged.reference, body="Me again")

        assert result.case == survivor
        assert result.message.case == survivor

    def test_a_resolved_case_is_reopened(self, justine):
        case = make_case(customer=justine)
        case_services.case_status_set(case_id=case.pk, by=None, status="resolved")

        result = receive(subject=f"[#{case.reference}] Re: resolved?", body="No, it still fails.")

        assert (result.case, result.case.status_category) == (case, StatusCategory.OPEN)

    def test_a_closed_case_is_not_reopened_a_linked_new_case_is_opened(self, justine):
        closed = make_case(customer=justine, subject="Headphones broken")
        case_services.case_status_set(case_id=closed.pk, by=None, status="closed")

        result = receive(subject=f"Re: [#{closed.reference}]", body="They broke again.")

        closed.refresh_from_db()
        assert closed.status_category == StatusCategory.CLOSED and closed.message_count == 1
        assert result.created_case and result.case != closed
        assert result.case.subject == "Headphones broken"
        link = CaseLink.objects.get()
        assert {link.from_case_id, link.to_case_id} == {closed.pk, result.case.pk}
        assert link.kind == "related"

    def test_cases_of_a_record_merged_into_the_sender_are_theirs(self):
        survivor = CustomerFactory(email="survivor@example.com")
        duplicate = CustomerFactory(email="old@example.com")
        case = make_case(customer=duplicate)
        customer_services.customer_merge(survivor_id=survivor.pk, merged_id=duplicate.pk, by=None)
        Case.objects.filter(pk=case.pk).update(customer=duplicate)  # whatever the merge moved

        result = receive(sender=SenderInput(email="survivor@example.com"), case_reference=case.reference)

        assert result.case == case

    def test_subject_falls_back_to_the_first_line_then_the_channel(self, justine):
        long_line = "word " * 30
        from_body = receive(subject="", body=f"\n\n  {long_line}\nsecond line")
        attachment_only = receive(
            channel="chat", body="", attachments=[AttachmentInput("photo.png", b"\x89PNG", "image/png")]
        )

        assert from_body.case.subject == ("word " * 16).strip()[:79] + "…"
        assert attachment_only.case.subject == "Message via Chat"
        assert Attachment.objects.get().message == attachment_only.message


# --- idempotency ------------------------------------------------------------------------------


class TestIdempotency:
    def test_the_same_message_three_times_is_received_once(self):
        results = [
            receive(
                subject="Lost parcel",
                external_id="<m1@mail.example>",
                sender=SenderInput(email="new@example.com"),
            )
            for _ in range(3)
        ]

        first = results[0]
        assert counts() == (1, 1, 1)
        assert [(r.customer, r.case, r.message) for r in results] == [
            (first.customer, first.case, first.message)
        ] * 3
        assert [(r.created_customer, r.created_case) for r in results] == [
            (True, True),
            (False, False),
            (False, False),
        ]

    def test_a_reply_received_three_times_is_added_once(self, justine):
        case = make_case(customer=justine)

        for _ in range(3):
            receive(case_reference=case.reference, external_id="<reply@mail.example>")

        case.refresh_from_db()
        assert case.message_count == 2
        assert Message.objects.filter(external_id="<reply@mail.example>").count() == 1

    def test_the_same_id_on_another_channel_is_another_message(self, justine):
        receive(channel="email", external_id="42")
        receive(channel="chat", external_id="42")

        assert Message.objects.filter(external_id="42").count() == 2

    def test_a_refused_message_can_be_received_later(self):
        with pytest.raises(FieldErrors):
            receive(body="  ", external_id="m-1")

        result = receive(body="Now with text", external_id="m-1")

        assert result.created_case and counts() == (1, 1, 1)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_deliveries_create_one_customer_case_and_message():
    """Four workers receive the same new message at once (PostgreSQL: real concurrency)."""
    workers = 4
    barrier = threading.Barrier(workers)
    results: list[services.ReceiveResult] = []
    failures: list[BaseException] = []

    def deliver() -> None:
        try:
            barrier.wait(timeout=10)
            results.append(
                receive(
                    subject="Parcel never arrived",
                    external_id="<race@mail.example>",
                    sender=SenderInput(email="racer@example.com", name="Race Condition"),
                )
            )
        except BaseException as error:  # reported below
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert failures == []
    assert counts() == (1, 1, 1)
    assert len({(r.customer.pk, r.case.pk, r.message.pk) for r in results}) == 1
    assert sum(r.created_case for r in results) == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_first_messages_of_one_sender_create_one_customer():
    workers = 4
    barrier = threading.Barrier(workers)
    failures: list[BaseException] = []

    def deliver(n: int) -> None:
        try:
            barrier.wait(timeout=10)
            receive(
                subject=f"Question {n}",
                external_id=f"<q{n}@mail.example>",
                sender=SenderInput(email="twin@example.com"),
            )
        except BaseException as error:
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver, args=(n,)) for n in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert failures == []
    assert counts() == (1, workers, workers)


# --- validation -------------------------------------------------------------------------------


class TestValidation:
    @pytest.mark.parametrize(
        ("kwargs", "fields"),
        [
            ({"channel": "pigeon"}, {"channel"}),
            ({"channel": "system"}, {"channel"}),
            ({"body": "   "}, {"body"}),
            ({"external_id": "x" * 256}, {"external_id"}),
            ({"thread_ids": ["x" * 256]}, {"thread_ids"}),
            ({"channel": "", "body": ""}, {"channel", "body"}),
        ],
    )
    def test_bad_input_is_named_and_nothing_is_written(self, kwargs, fields):
        with pytest.raises(FieldErrors) as error:
            receive(**kwargs)

        assert set(error.value.errors) == fields
        assert counts() == (0, 0, 0)

    def test_oversized_attachment_is_refused_and_nothing_written(self, settings):
        settings.CASE_ATTACHMENT_MAX_BYTES = 10

        with pytest.raises(DomainError) as error:
            receive(attachments=[AttachmentInput("photo.png", b"x" * 11)])

        assert (error.value.field, error.value.code) == ("attachments", "too_large")
        assert counts() == (0, 0, 0)
        assert Attachment.objects.count() == 0


# --- phone calls ------------------------------------------------------------------------------


def call(**kwargs):
    data = {
        "direction": "inbound",
        "duration_seconds": 270,
        "summary": "Asked where the laptop is.\nPromised a callback.",
        "outcome": "callback",
        **kwargs,
    }
    return CallInput(**data)


class TestCallRecord:
    def test_a_known_caller_on_a_new_phone_case(self, agent, justine):
        result = services.call_record(by=agent, data=call(customer_id=justine.pk))

        case, message = result.case, result.message
        assert (result.created_case, result.created_customer, result.customer) == (True, False, justine)
        assert (case.channel, case.subject, case.customer) == ("phone", "Asked where the laptop is.", justine)
        assert (message.kind, message.direction, message.call_duration_seconds, message.call_outcome) == (
            MessageKind.CALL,
            "inbound",
            270,
            "callback",
        )
        assert message.author == agent
        assert case.messages.count() == 1

    def test_on_an_open_case_of_the_caller(self, agent, justine):
        case = make_case(customer=justine)

        result = services.call_record(
            by=agent,
            data=call(customer_id=justine.pk, case_id=case.pk, direction="outbound", outcome="resolved"),
        )

        assert (result.case, result.created_case) == (case, False)
        assert case.messages.filter(kind=MessageKind.CALL).get().direction == "outbound"
        assert Case.objects.count() == 1

    def test_subject_given_for_the_new_case(self, agent, justine):
        result = services.call_record(by=agent, data=call(customer_id=justine.pk, subject="Laptop on hold"))

        assert result.case.subject == "Laptop on hold"

    def test_an_unknown_caller_is_created_with_name_and_phone(self, agent):
        result = services.call_record(
            by=agent, data=call(caller_name="Thomas Berg", caller_phone="+49 40 1234567")
        )

        customer = result.customer
        assert result.created_customer
        assert (customer.first_name, customer.last_name) == ("Thomas", "Berg")
        assert list(customer.contact_points.values_list("kind", "normalized")) == [("phone", "+49401234567")]

    def test_a_new_caller_whose_number_is_known_is_that_customer(self, agent, justine):
        result = services.call_record(by=agent, data=call(caller_name="Justine", caller_phone="+15551234567"))

        assert (result.customer, result.created_customer) == (justine, False)
        assert Customer.objects.count() == 1

    def test_a_name_alone_creates_a_customer_without_contacts(self, agent):
        result = services.call_record(by=agent, data=call(caller_name="Walk In"))

        assert result.created_customer and result.customer.contact_points.count() == 0

    @pytest.mark.parametrize(
        ("changes", "fields"),
        [
            (
                {"direction": "sideways", "outcome": "maybe", "duration_seconds": -1, "summary": " "},
                {"direction", "outcome", "duration_seconds", "summary"},
            ),
            ({"duration_seconds": 24 * 3600 + 1}, {"duration_seconds"}),
            ({"customer_id": None}, {"caller_name", "caller_phone"}),
            ({"customer_id": None, "caller_name": "X", "caller_phone": "12"}, {"caller_phone"}),
            ({"customer_id": None, "caller_name": "X", "caller_email": "nope"}, {"caller_email"}),
        ],
    )
    def test_bad_input_is_named_and_nothing_is_written(self, agent, justine, changes, fields):
        before = counts()

        with pytest.raises(FieldErrors) as error:
            services.call_record(by=agent, data=call(**{"customer_id": justine.pk, **changes}))

        assert set(error.value.errors) == fields
        assert counts() == before

    def test_a_case_of_someone_else_is_refused(self, agent, justine):
        other = make_case(customer=CustomerFactory())
        before = counts()

        with pytest.raises(DomainError) as error:
            services.call_record(by=agent, data=call(customer_id=justine.pk, case_id=other.pk))

        assert error.value.field == "case"
        assert counts() == before

    def test_a_closed_case_is_refused_and_a_new_caller_is_not_kept(self, agent, justine):
        closed = make_case(customer=justine)
        case_services.case_status_set(case_id=closed.pk, by=None, status="closed")
        before = counts()

        with pytest.raises(DomainError) as error:
            services.call_record(by=agent, data=call(customer_id=justine.pk, case_id=closed.pk))

        assert error.value.field == "case"
        assert counts() == before

    def test_unknown_customer_is_refused(self, agent):
        with pytest.raises(DomainError) as error:
            services.call_record(by=agent, data=call(customer_id=987654))

        assert error.value.field == "customer"
        assert counts() == (0, 0, 0)

    def test_contacts_are_unchanged_when_a_known_caller_is_picked(self, agent, justine):
        services.call_record(by=agent, data=call(customer_id=justine.pk, caller_phone="+1 999 999 9999"))

        assert ContactPoint.objects.filter(customer=justine).count() == 2
        assert ExternalId.objects.count() == 0
