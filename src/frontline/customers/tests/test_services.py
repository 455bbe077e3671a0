"""Rules of the customers services: given / when / then, exact values, nothing half-written."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from frontline.accounts.models import User
from frontline.audit.models import AuditEntry
from frontline.core import search
from frontline.core.errors import Conflict, DomainError, FieldErrors, NotFound
from frontline.customers import events, services
from frontline.customers.choices import ContactKind, CustomerStatus, InteractionKind
from frontline.customers.models import ContactPoint, Customer, Interaction, MergeRecord, Tag
from frontline.customers.services import AddressInput, ContactInput, CustomerInput

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent() -> User:
    return User.objects.create(username="sara", role="agent")


def make(agent: User, first: str, last: str, *contacts: ContactInput, **extra) -> Customer:
    return services.customer_create(
        by=agent, data=CustomerInput(first_name=first, last_name=last, contacts=list(contacts), **extra)
    )


def email(value: str, primary: bool = False) -> ContactInput:
    return ContactInput(kind=ContactKind.EMAIL, value=value, is_primary=primary)


def phone(value: str) -> ContactInput:
    return ContactInput(kind=ContactKind.PHONE, value=value)


class TestCreate:
    def test_creates_customer_with_contacts_org_tags_and_audit(self, agent):
        customer = make(
            agent,
            "Justine",
            "Harrington",
            email("Justine@Example.com"),
            phone("+1 (555) 123-4567"),
            organisation_name="Acme Retail",
            tags=["VIP", " vip ", "returns"],
            external_ids={"Shop": "C-1001"},
            addresses=[AddressInput(line1="1 Main St", city="Boston", country="us")],
        )

        assert customer.full_name == "Justine Harrington"
        assert customer.organisation.name == "Acme Retail"
        points = {(p.kind, p.value, p.normalized, p.is_primary) for p in customer.contact_points.all()}
        assert points == {
            ("email", "Justine@Example.com", "justine@example.com", True),
            ("phone", "+1 (555) 123-4567", "+15551234567", True),
        }
        assert sorted(customer.tags.values_list("name", flat=True)) == ["returns", "vip"]
        assert list(customer.external_ids.values_list("system", "value")) == [("shop", "C-1001")]
        assert customer.addresses.get().country == "US"
        entry = AuditEntry.objects.get(verb="customer.created")
        assert entry.actor == agent and entry.target_id == str(customer.pk)

    def test_first_contact_of_a_kind_becomes_primary(self, agent):
        customer = make(agent, "A", "B", email("a@example.com"), email("b@example.com"))

        assert list(customer.contact_points.values_list("value", "is_primary")) == [
            ("a@example.com", True),
            ("b@example.com", False),
        ]

    def test_created_event_is_sent_after_commit(self, agent, django_capture_on_commit_callbacks):
        received = []

        def receiver(**kwargs):
            received.append(kwargs["customer_id"])

        events.customer_created.connect(receiver)
        try:
            with django_capture_on_commit_callbacks(execute=True):
                customer = make(agent, "Ana", "Lopez")
        finally:
            events.customer_created.disconnect(receiver)
        assert received == [customer.pk]

    @pytest.mark.parametrize(
        ("data", "field"),
        [
            (CustomerInput(), "last_name"),
            (CustomerInput(last_name="X", contacts=[email("not-an-email")]), "contacts[0]"),
            (CustomerInput(last_name="X", contacts=[phone("12")]), "contacts[0]"),
            (
                CustomerInput(last_name="X", contacts=[ContactInput(kind="fax", value="1")]),
                "contacts[0].kind",
            ),
            (CustomerInput(last_name="X", preferred_channel="pigeon"), "preferred_channel"),
            (CustomerInput(last_name="X", addresses=[AddressInput(line1="", city="", country="USA")]), None),
            (CustomerInput(last_name="X", organisation_id=999999), "organisation_id"),
        ],
    )
    def test_bad_input_names_the_field_and_writes_nothing(self, agent, data, field):
        with pytest.raises(DomainError) as caught:
            services.customer_create(by=agent, data=data)

        if field:
            assert caught.value.field == field
        else:
            assert isinstance(caught.value, FieldErrors)
            assert set(caught.value.errors) == {"addresses.line1", "addresses.city", "addresses.country"}
        assert Customer.objects.count() == 0
        assert ContactPoint.objects.count() == 0
        assert AuditEntry.objects.count() == 0

    def test_external_id_belonging_to_someone_else_is_refused(self, agent):
        make(agent, "A", "A", external_ids={"shop": "42"})

        with pytest.raises(Conflict):
            make(agent, "B", "B", external_ids={"shop": "42"})
        assert Customer.objects.count() == 1


class TestUpdate:
    def test_records_who_changed_what_and_adds_timeline_entry(self, agent):
        customer = make(agent, "Justine", "Harrington", tags=["vip"])

        services.customer_update(
            customer_id=customer.pk,
            by=agent,
            changes={"first_name": "Justina", "marketing_consent": True},
            tags=["vip", "gold"],
        )

        customer.refresh_from_db()
        assert customer.first_name == "Justina"
        assert customer.marketing_consent_at is not None
        entry = AuditEntry.objects.get(verb="customer.updated")
        assert entry.data == {
            "changes": {
                "first_name": ["Justine", "Justina"],
                "marketing_consent": [False, True],
                "tags": [["vip"], ["gold", "vip"]],
            }
        }
        note = Interaction.objects.get(customer=customer, kind=InteractionKind.PROFILE)
        assert note.is_internal and note.actor == agent
        assert search.search_ids("customer", "justina") == [customer.pk]

    def test_no_change_writes_no_audit(self, agent):
        customer = make(agent, "Justine", "Harrington")

        services.customer_update(customer_id=customer.pk, by=agent, changes={"first_name": "Justine"})

        assert AuditEntry.objects.filter(verb="customer.updated").count() == 0

    def test_unknown_field_and_bad_value_change_nothing(self, agent):
        customer = make(agent, "Justine", "Harrington")

        with pytest.raises(DomainError) as unknown:
            services.customer_update(customer_id=customer.pk, by=agent, changes={"pk": 5})
        with pytest.raises(FieldErrors) as bad:
            services.customer_update(
                customer_id=customer.pk, by=agent, changes={"first_name": "X", "preferred_channel": "fax"}
            )

        assert unknown.value.field == "pk"
        assert list(bad.value.errors) == ["preferred_channel"]
        customer.refresh_from_db()
        assert customer.first_name == "Justine"

    def test_missing_customer_is_not_found(self, agent):
        with pytest.raises(NotFound):
            services.customer_update(customer_id=12345, by=agent, changes={"first_name": "x"})


class TestContactPoints:
    def test_set_primary_moves_the_flag(self, agent):
        customer = make(agent, "A", "B", email("a@example.com"), email("b@example.com"))
        second = customer.contact_points.get(value="b@example.com")

        services.contact_point_set_primary(contact_point_id=second.pk, by=agent)

        assert list(customer.contact_points.filter(is_primary=True).values_list("value", flat=True)) == [
            "b@example.com"
        ]

    def test_removing_primary_promotes_the_next(self, agent):
        customer = make(agent, "Zed", "Young", email("a@example.com"), email("b@example.com"))

        services.contact_point_remove(
            contact_point_id=customer.contact_points.get(is_primary=True).pk, by=agent
        )

        assert list(customer.contact_points.values_list("value", "is_primary")) == [("b@example.com", True)]
        assert search.search_ids("customer", "b@example") == [customer.pk]
        assert search.search_ids("customer", "a@example") == []

    def test_same_value_twice_is_a_conflict(self, agent):
        customer = make(agent, "A", "B", email("a@example.com"))

        with pytest.raises(Conflict):
            services.contact_point_add(customer_id=customer.pk, by=agent, contact=email("A@EXAMPLE.com"))
        assert customer.contact_points.count() == 1

    def test_social_handle_needs_platform(self, agent):
        customer = make(agent, "A", "B")

        with pytest.raises(DomainError) as caught:
            services.contact_point_add(
                customer_id=customer.pk, by=agent, contact=ContactInput(kind="social", value="@ab")
            )
        point = services.contact_point_add(
            customer_id=customer.pk, by=agent, contact=ContactInput(kind="social", value="@AB", platform="x")
        )

        assert caught.value.field == "value"
        assert point.normalized == "x:ab"


class TestTimeline:
    def test_interaction_log_updates_last_interaction(self, agent):
        customer = make(agent, "A", "B")

        entry = services.interaction_log(
            customer_id=customer.pk, by=agent, kind=InteractionKind.CALL, summary="Asked about headphones"
        )

        customer.refresh_from_db()
        assert customer.last_interaction_at == entry.occurred_at
        assert entry.actor_label == "sara" and entry.direction == "inbound"

    def test_note_is_always_internal(self, agent):
        customer = make(agent, "A", "B")

        entry = services.interaction_log(
            customer_id=customer.pk, by=agent, kind=InteractionKind.NOTE, summary="VIP"
        )

        assert entry.is_internal and entry.direction == "internal"

    def test_future_or_system_kinds_are_refused(self, agent):
        customer = make(agent, "A", "B")

        with pytest.raises(DomainError) as future:
            services.interaction_log(
                customer_id=customer.pk,
                by=agent,
                kind=InteractionKind.CALL,
                summary="x",
                occurred_at=timezone.now() + timedelta(days=1),
            )
        with pytest.raises(DomainError) as kind:
            services.interaction_log(
                customer_id=customer.pk, by=agent, kind=InteractionKind.ORDER, summary="x"
            )

        assert (future.value.field, kind.value.field) == ("occurred_at", "kind")
        assert Interaction.objects.count() == 0


class TestMerge:
    def test_merge_moves_everything_and_keeps_a_pointer(self, agent):
        survivor = make(agent, "Justine", "Harrington", email("justine@example.com"), tags=["vip"])
        merged = make(
            agent,
            "Justin",
            "Harrington",
            email("JUSTINE@example.com"),
            email("jh@work.example"),
            phone("+44 20 7946 0000"),
            tags=["returns"],
            job_title="Buyer",
            external_ids={"shop": "C-2"},
            addresses=[AddressInput(line1="2 High St", city="London", country="GB")],
        )
        services.interaction_log(customer_id=merged.pk, by=agent, kind="call", summary="Called about order")

        record = services.customer_merge(
            survivor_id=survivor.pk, merged_id=merged.pk, by=agent, reason="same person"
        )

        survivor.refresh_from_db()
        merged.refresh_from_db()
        assert merged.status == CustomerStatus.MERGED and merged.merged_into == survivor
        assert sorted(survivor.contact_points.values_list("normalized", "is_primary")) == [
            ("+442079460000", True),
            ("jh@work.example", False),
            ("justine@example.com", True),
        ]
        # The duplicate email stays with the merged record so the merge can be reversed.
        assert list(merged.contact_points.values_list("normalized", flat=True)) == ["justine@example.com"]
        assert survivor.job_title == "Buyer"
        assert sorted(survivor.tags.values_list("name", flat=True)) == ["returns", "vip"]
        assert survivor.external_ids.get().value == "C-2"
        assert survivor.addresses.count() == 1
        assert survivor.interactions.filter(kind="call").count() == 1
        assert survivor.interactions.filter(kind="merge").count() == 1
        assert search.search_ids("customer", "harrington") == [survivor.pk]
        audit = AuditEntry.objects.get(verb="customer.merged")
        assert audit.data["merged_id"] == merged.pk and audit.data["reason"] == "same person"
        assert record.moved["survivor_before"] == {"job_title": ""}

    def test_unmerge_restores_both_records(self, agent):
        survivor = make(agent, "Justine", "Harrington", email("justine@example.com"), tags=["vip"])
        merged = make(agent, "J", "H", email("jh@work.example"), tags=["returns"], job_title="Buyer")
        record = services.customer_merge(survivor_id=survivor.pk, merged_id=merged.pk, by=agent)

        services.customer_unmerge(merge_id=record.pk, by=agent)

        survivor.refresh_from_db()
        merged.refresh_from_db()
        record.refresh_from_db()
        assert merged.status == CustomerStatus.ACTIVE and merged.merged_into is None
        assert list(survivor.contact_points.values_list("value", flat=True)) == ["justine@example.com"]
        assert list(merged.contact_points.values_list("value", "is_primary")) == [("jh@work.example", True)]
        assert list(survivor.tags.values_list("name", flat=True)) == ["vip"]
        assert survivor.job_title == ""
        assert record.reversed_by == agent
        assert sorted(search.search_ids("customer", "h")) == sorted([survivor.pk, merged.pk])
        assert AuditEntry.objects.filter(verb="customer.unmerged").count() == 1

    def test_merge_refusals_change_nothing(self, agent):
        a = make(agent, "A", "A")
        b = make(agent, "B", "B")
        c = make(agent, "C", "C")
        services.customer_merge(survivor_id=a.pk, merged_id=b.pk, by=agent)

        with pytest.raises(DomainError):
            services.customer_merge(survivor_id=a.pk, merged_id=a.pk, by=agent)
        with pytest.raises(Conflict):
            services.customer_merge(survivor_id=c.pk, merged_id=b.pk, by=agent)
        with pytest.raises(Conflict):
            services.customer_merge(survivor_id=b.pk, merged_id=c.pk, by=agent)
        with pytest.raises(NotFound):
            services.customer_merge(survivor_id=a.pk, merged_id=999, by=agent)

        assert MergeRecord.objects.count() == 1
        c.refresh_from_db()
        assert c.status == CustomerStatus.ACTIVE

    def test_merged_customer_cannot_be_edited(self, agent):
        a = make(agent, "A", "A")
        b = make(agent, "B", "B")
        services.customer_merge(survivor_id=a.pk, merged_id=b.pk, by=agent)

        with pytest.raises(Conflict) as caught:
            services.customer_update(customer_id=b.pk, by=agent, changes={"first_name": "x"})
        assert caught.value.code == "merged"

    def test_double_reverse_is_refused(self, agent):
        a = make(agent, "A", "A")
        b = make(agent, "B", "B")
        record = services.customer_merge(survivor_id=a.pk, merged_id=b.pk, by=agent)
        services.customer_unmerge(merge_id=record.pk, by=agent)

        with pytest.raises(Conflict):
            services.customer_unmerge(merge_id=record.pk, by=agent)

    def test_registered_handlers_move_and_restore_other_apps_rows(self, agent):
        a = make(agent, "A", "A")
        b = make(agent, "B", "B")
        moves: list[tuple[str, int, int | list[int]]] = []

        def move(survivor: int, merged: int) -> list[int]:
            moves.append(("move", survivor, merged))
            return [7, 8]

        def undo(merged: int, ids: list[int]) -> None:
            moves.append(("undo", merged, ids))

        handler = services.MergeHandler(key="widgets", move=move, undo=undo)
        services.register_merge_handler(handler)
        try:
            record = services.customer_merge(survivor_id=a.pk, merged_id=b.pk, by=agent)
            services.customer_unmerge(merge_id=record.pk, by=agent)
        finally:
            services.MERGE_HANDLERS.pop("widgets")

        assert record.moved["widgets"] == [7, 8]
        assert moves == [("move", a.pk, b.pk), ("undo", b.pk, [7, 8])]


def test_tags_are_shared_rows(agent):
    make(agent, "A", "A", tags=["vip"])
    make(agent, "B", "B", tags=["VIP"])

    assert Tag.objects.count() == 1


def test_timeline_change_is_pushed_to_the_customers_live_group(agent, django_capture_on_commit_callbacks):
    from asgiref.sync import async_to_sync, sync_to_async
    from channels.layers import get_channel_layer

    customer = make(agent, "Live", "Update")

    def log_interaction() -> None:
        with django_capture_on_commit_callbacks(execute=True):
            services.interaction_log(customer_id=customer.pk, by=agent, kind="note", summary="hello")

    async def subscribe_log_and_receive() -> dict:
        # One event loop throughout: the Redis pub/sub layer only delivers to channels
        # created in the loop that listens on them.
        layer = get_channel_layer()
        channel = await layer.new_channel()
        await layer.group_add(f"customer-{customer.pk}", channel)
        await sync_to_async(log_interaction)()
        return await layer.receive(channel)

    message = async_to_sync(subscribe_log_and_receive)()
    assert message["payload"] == {"type": "timeline", "customer_id": customer.pk}
